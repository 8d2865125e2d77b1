module github.com/allot/allot

go 1.26.8

require (
	cel.dev/cel-go v0.33.2 // indirect
	github.com/google/btree v1.1.3 // indirect
	go.yaml.in/yaml/v4 v4.0.0 // indirect
	pgregory.net/rapid v1.3.0 // indirect
)
