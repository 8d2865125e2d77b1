package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/allot/allot/store"
)

func TestNewTokenParses(t *testing.T) {
	t.Parallel()
	plain, tok := NewToken(store.RoleManager, "eu", "", "ops", nil)
	id, secret, ok := parseToken(plain)
	if !ok || id != tok.ID || hashSecret(secret) != tok.SecretHash || strings.Contains(tok.SecretHash, secret) {
		t.Fatalf("NewToken %q → %+v; parse: %q %q %v", plain, tok, id, secret, ok)
	}
	other, _ := NewToken(store.RoleManager, "eu", "", "ops", nil)
	if other == plain {
		t.Fatal("two tokens are equal")
	}
	for _, bad := range []string{"", "allot_", "allot__x", "allot_x_", "allot_x", "bearer_x_y", "allot_x_y_z", "allot_" + strings.Repeat("a", 65) + "_s"} {
		if _, _, ok := parseToken(bad); ok {
			t.Errorf("parseToken(%q) accepted it", bad)
		}
	}
}

func TestLocators(t *testing.T) {
	t.Parallel()
	obj := "regions[0].agents[1]"
	loc := configLocator(&obj)
	for _, c := range []struct{ in, want string }{
		{"regions[0].agents[1]", "body"},
		{"regions[0].agents[1].capacity.total", "body.capacity.total"},
		{"regions[0].agents[1][x]", "body[x]"},
		{"regions[0].agents[10].id", "config.agents[10].id"},
		{"regions[0].rules[2].queue", "config.rules[2].queue"},
		{"regions[0]", "config"},
		{"presence", "config.presence"},
		{"body.id", "body.id"},
		{"query.position", "query.position"},
	} {
		if got := loc(c.in); got != c.want {
			t.Errorf("configLocator(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"regions[0].queues[0].policy", "body.queues[0].policy"},
		{"regions[0].id", "body.id"},
		{"regions", "body.regions"},
	} {
		if got := regionBodyLocator(c.in); got != c.want {
			t.Errorf("regionBodyLocator(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestItemIDsSortByCreation(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 2000 {
		id := newItemIDAt(t0.Add(time.Duration(i) * time.Millisecond))
		if len(id) != 30 || !strings.HasPrefix(id, "itm_") || strings.Trim(id[4:], idAlphabet) != "" {
			t.Fatalf("id %q: want itm_ and 26 characters of %q", id, idAlphabet)
		}
		if id <= prev {
			t.Fatalf("id %q created after %q sorts before it", id, prev)
		}
		if seen[id] {
			t.Fatalf("id %q twice", id)
		}
		seen[id], prev = true, id
	}
	// Same millisecond: still unique (80 random bits).
	a, b := newItemIDAt(t0), newItemIDAt(t0)
	if a == b || a[:14] != b[:14] {
		t.Fatalf("two ids of one millisecond: %q %q", a, b)
	}
	if id := newItemID(); id[:14] < newItemIDAt(t0)[:14] {
		t.Fatalf("newItemID %q sorts before an id of 2026", id)
	}
}

// TestPreferMinimal: Prefer headers (RFC 7240) that ask for return=minimal.
func TestPreferMinimal(t *testing.T) {
	for h, want := range map[string]bool{
		"return=minimal": true, "Return = \"minimal\"": true, "wait=10, return=minimal; x=y": true,
		"": false, "return=representation": false, "respond-async": false, "return=minimalist": false, "minimal": false,
	} {
		if got := preferMinimal(h); got != want {
			t.Errorf("preferMinimal(%q) = %v, want %v", h, got, want)
		}
	}
}
