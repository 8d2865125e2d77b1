package node

import (
	"encoding/json"
	"fmt"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
)

// Entry kinds: one per engine event.
const (
	KindConfig        = "config"
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

// decode is the inverse of encode.
func decode(kind string, payload []byte) (engine.Event, error) {
	var ev engine.Event
	var err error
	switch kind {
	case KindConfig:
		var e engine.ConfigChanged
		err = json.Unmarshal(payload, &e)
		ev = e
	case KindItemArrived:
		var e engine.ItemArrived
		err = json.Unmarshal(payload, &e)
		ev = e
	case KindItemUpdated:
		var e engine.ItemUpdated
		err = json.Unmarshal(payload, &e)
		ev = e
	case KindItemTouched:
		var e engine.ItemTouched
		err = json.Unmarshal(payload, &e)
		ev = e
	case KindItemReleased:
		var e engine.ItemReleased
		err = json.Unmarshal(payload, &e)
		ev = e
	case KindItemClosed:
		var e engine.ItemClosed
		err = json.Unmarshal(payload, &e)
		ev = e
	case KindItemTransfer:
		var e engine.ItemTransferred
		err = json.Unmarshal(payload, &e)
		ev = e
	case KindAgentPresence:
		var e engine.AgentPresence
		err = json.Unmarshal(payload, &e)
		ev = e
	case KindAgentNext:
		var e engine.AgentNext
		err = json.Unmarshal(payload, &e)
		ev = e
	case KindTick:
		ev = engine.Tick{}
	default:
		return decodeShadow(kind, payload)
	}
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
