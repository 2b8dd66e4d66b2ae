# prog: xdp
# expect: reject "R0 !read_ok"
call local f
exit
f: exit
