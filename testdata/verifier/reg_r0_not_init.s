# prog: xdp
# expect: reject "R0 !read_ok"
exit
