module github.com/allot/allot

go 1.26.8
