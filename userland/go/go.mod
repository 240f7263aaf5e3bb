module ghost.test/gotest

go 1.19
