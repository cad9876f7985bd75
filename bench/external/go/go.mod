module poolbench/go_bench

go 1.19
