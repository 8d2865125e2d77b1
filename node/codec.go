package node

import (
	"encoding/json"
	"fmt"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/store"
)

// Entry kinds: one per engine event.
const (
	KindConfig        = store.KindConfig
	KindItemArrived   = "item_arrived"
	KindItemUpdated   = "item_updated"
	KindItemTouched   = "item_touched"
	KindItemReleased  = "item_released"
	KindItemClosed    = "item_closed"
	KindItemTransfer  = "item_transferred"
	KindAgentPresence = "agent_presence"
	KindAgentNext     = "agent_next"
	KindTick          = "tick"
)

// encode returns an event's entry kind, the item it concerns and its JSON.
func encode(ev engine.Event) (kind, item string, payload []byte, err error) {
	switch ev := ev.(type) {
	case engine.ConfigChanged:
		kind = KindConfig
	case engine.ItemArrived:
		kind, item = KindItemArrived, ev.Item.ID
	case engine.ItemUpdated:
		kind, item = KindItemUpdated, ev.ID
	case engine.ItemTouched:
		kind, item = KindItemTouched, ev.ID
	case engine.ItemReleased:
		kind, item = KindItemReleased, ev.ID
	case engine.ItemClosed:
		kind, item = KindItemClosed, ev.ID
	case engine.ItemTransferred:
		kind, item = KindItemTransfer, ev.ID
	case engine.AgentPresence:
		kind = KindAgentPresence
	case engine.AgentNext:
		kind = KindAgentNext
	case engine.Tick:
		kind = KindTick
	default:
		return encodeShadow(ev)
	}
	payload, err = json.Marshal(ev)
	return kind, item, payload, err
}

// decoders builds each engine event from its entry's JSON.
var decoders = map[string]func([]byte) (engine.Event, error){
	KindConfig:        decodeAs[engine.ConfigChanged],
	KindItemArrived:   decodeAs[engine.ItemArrived],
	KindItemUpdated:   decodeAs[engine.ItemUpdated],
	KindItemTouched:   decodeAs[engine.ItemTouched],
	KindItemReleased:  decodeAs[engine.ItemReleased],
	KindItemClosed:    decodeAs[engine.ItemClosed],
	KindItemTransfer:  decodeAs[engine.ItemTransferred],
	KindAgentPresence: decodeAs[engine.AgentPresence],
	KindAgentNext:     decodeAs[engine.AgentNext],
	KindTick:          func([]byte) (engine.Event, error) { return engine.Tick{}, nil },
}

func decodeAs[E engine.Event](payload []byte) (engine.Event, error) {
	var e E
	err := json.Unmarshal(payload, &e)
	return e, err
}

// decode is the inverse of encode.
func decode(kind string, payload []byte) (engine.Event, error) {
	d, ok := decoders[kind]
	if !ok {
		return decodeShadow(kind, payload)
	}
	ev, err := d(payload)
	if err != nil {
		return nil, fmt.Errorf("node: decode %s entry: %w", kind, err)
	}
	return ev, nil
}

// regionConfig extracts the one region of a config entry.
func regionConfig(cfg allot.Config) (allot.Region, error) {
	if len(cfg.Regions) != 1 {
		return allot.Region{}, fmt.Errorf("node: config entry holds %d regions, want 1", len(cfg.Regions))
	}
	return cfg.Regions[0], nil
}
