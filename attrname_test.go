package allot

import (
	"regexp"
	"testing"

	"pgregory.net/rapid"
)

// TestPropertyAttrNames: validAttrName (windows of four bytes for names of
// 4 to 16 bytes, a loop otherwise) agrees with the grammar it implements on
// random strings of every length around its bounds, over an alphabet that
// has every class of byte (a bad byte anywhere, a digit first).
func TestPropertyAttrNames(t *testing.T) {
	grammar := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	alphabet := []byte("aZ_09-. é\x00\xff")
	valid, invalid := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.SampledFrom(alphabet), 0, 70).Draw(t, "name")
		// Mostly name bytes, so that valid names are common too.
		for i := range b {
			if rapid.IntRange(0, 9).Draw(t, "keep") > 0 {
				b[i] = "abcXY_Z"[i%7]
			}
		}
		s := string(b)
		want := grammar.MatchString(s)
		if got := validAttrName(s); got != want {
			t.Fatalf("validAttrName(%q) = %v, want %v", s, got, want)
		}
		if want {
			valid++
		} else {
			invalid++
		}
	})
	if valid == 0 || invalid == 0 {
		t.Errorf("%d valid and %d invalid names generated; the test needs both", valid, invalid)
	}
}
