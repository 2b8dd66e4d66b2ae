# prog: xdp
# expect: reject EACCES "R0 !read_ok"
exit
