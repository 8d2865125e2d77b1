package configfile

import (
	"bytes"
	"fmt"

	yaml "go.yaml.in/yaml/v4"

	"github.com/allot/allot"
)

// Encode writes cfg as canonical YAML: fields in the Go types' order, maps
// sorted by key, two-space indentation, times in RFC 3339. Decoding the
// result gives back an equal config. It never fails for a config that came
// from Decode or the API.
func Encode(cfg allot.Config) ([]byte, error) {
	return EncodeFile(&File{Config: cfg})
}

// EncodeFile is Encode with the file's tests.
func EncodeFile(f *File) ([]byte, error) {
	var buf bytes.Buffer
	d, err := yaml.NewDumper(&buf, yaml.WithIndent(2), yaml.WithLineWidth(-1))
	if err != nil {
		return nil, err
	}
	if err := d.Dump(f); err != nil {
		return nil, fmt.Errorf("configfile: encode: %w", err)
	}
	if err := d.Close(); err != nil {
		return nil, fmt.Errorf("configfile: encode: %w", err)
	}
	return buf.Bytes(), nil
}
