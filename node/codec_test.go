package node

import (
	"reflect"
	"testing"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
)

// TestCodecRoundTrip: every event kind the log holds decodes to the event
// that was encoded (replay depends on it), and unknown kinds are errors.
func TestCodecRoundTrip(t *testing.T) {
	t.Parallel()
	prio := 3
	events := []engine.Event{
		engine.ConfigChanged{Config: allot.Config{Regions: []allot.Region{{ID: "eu"}}}},
		engine.ItemArrived{Item: allot.Item{ID: "x", Type: "lead", Attributes: map[string]any{"country": "FR", "n": 2.0}}},
		engine.ItemUpdated{ID: "x", Attributes: map[string]any{"country": "DE"}, Priority: &prio},
		engine.ItemTouched{ID: "x", Agent: "ana"},
		engine.ItemReleased{ID: "x", Agent: "ana", Reason: "wrong language"},
		engine.ItemClosed{ID: "x"},
		engine.ItemTransferred{ID: "x", To: "bo", Reason: "vip"},
		engine.AgentPresence{Agent: "ana", Status: "lunch"},
		engine.AgentNext{Agent: "ana"},
		engine.Tick{},
	}
	for _, ev := range events {
		kind, _, payload, err := encode(ev)
		if err != nil {
			t.Fatalf("encode %T: %v", ev, err)
		}
		got, err := decode(kind, payload)
		if err != nil {
			t.Fatalf("decode %s: %v", kind, err)
		}
		if !reflect.DeepEqual(got, ev) {
			t.Errorf("%s round trip:\n got %#v\nwant %#v", kind, got, ev)
		}
	}
	if _, err := decode("no_such_kind", []byte(`{}`)); err == nil {
		t.Error("an unknown kind decoded without error")
	}
	if _, err := decode(KindItemClosed, []byte(`{`)); err == nil {
		t.Error("a corrupt payload decoded without error")
	}
}
