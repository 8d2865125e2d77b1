package engine

import "github.com/allot/allot"

// Event is something that happened in a region. The engine takes ownership
// of maps and slices inside events: do not modify them afterwards.
type Event interface{ eventName() string }

// ItemArrived brings a new item. ID and Type are required; ID must not name an
// open item. Score, Tier, Queue, Owner and Status are computed by the engine
// and ignored here.
type ItemArrived struct {
	Item allot.Item `json:"item"`
}

// ItemUpdated changes an open item's attributes (merge-patch: a nil value
// deletes the key) and optionally its base priority. The item is classified
// again; a waiting item follows its rules, an owned one moves only when its
// queue has Reroute set and the rules now send it elsewhere.
type ItemUpdated struct {
	ID         string         `json:"id"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Priority   *int           `json:"priority,omitempty"`
}

// ItemTouched records the owner's first touch (accept): assigned → working.
// Touching a working item again is allowed and changes nothing.
type ItemTouched struct {
	ID    string `json:"id"`
	Agent string `json:"agent"`
}

// ItemReleased gives an owned item back: it is routed again, never to the
// agent who let it go.
type ItemReleased struct {
	ID     string `json:"id"`
	Agent  string `json:"agent"`
	Reason string `json:"reason,omitempty"`
}

// ItemTransferred moves an open item to agent To on a manager's request,
// bypassing the queue's policy. To must exist and have room (capacity is never
// exceeded); presence, schedule and skills are the manager's call.
type ItemTransferred struct {
	ID     string `json:"id"`
	To     string `json:"to"`
	Reason string `json:"reason,omitempty"`
}

// ItemClosed closes an open item, freeing its owner's capacity.
type ItemClosed struct {
	ID string `json:"id"`
}

// AgentPresence sets an agent's presence status.
type AgentPresence struct {
	Agent  string `json:"agent"`
	Status string `json:"status"`
}

// AgentNext is an agent asking for its next item: the engine picks the best
// waiting item the agent is eligible for (manual agents included), or none.
type AgentNext struct {
	Agent string `json:"agent"`
}

// ConfigChanged replaces the region's config, keeping the runtime state; see
// Engine.Reconfigure. Config must hold the engine's region.
type ConfigChanged struct {
	Config allot.Config `json:"config"`
}

// Tick only lets time pass: timers due up to now fire.
type Tick struct{}

func (ItemArrived) eventName() string     { return "item_arrived" }
func (ItemUpdated) eventName() string     { return "item_updated" }
func (ItemTouched) eventName() string     { return "item_touched" }
func (ItemReleased) eventName() string    { return "item_released" }
func (ItemClosed) eventName() string      { return "item_closed" }
func (AgentPresence) eventName() string   { return "agent_presence" }
func (AgentNext) eventName() string       { return "agent_next" }
func (Tick) eventName() string            { return "tick" }
func (ConfigChanged) eventName() string   { return "config_changed" }
func (ItemTransferred) eventName() string { return "item_transferred" }
