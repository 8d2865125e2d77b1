package store

import (
	"bytes"
	"compress/flate"

	"github.com/allot/allot"
)

// DeflatedExplanation is the stored form written before the binary one
// (the compact JSON deflated behind storedDeflate): databases hold it, so
// DecodeExplanation must keep reading it.
func DeflatedExplanation(x *allot.Explanation) ([]byte, error) {
	raw, err := EncodeExplanation(x)
	if err != nil || raw == nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteByte(storedDeflate)
	w, _ := flate.NewWriter(&out, flate.BestSpeed)
	if _, err := w.Write(raw); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
