# prog: xdp
# expect: reject EACCES "R0 !read_ok"
call local f
exit
f: exit
