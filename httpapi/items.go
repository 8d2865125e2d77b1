package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/node"
	"github.com/allot/allot/store"
)

// MaxBulkItems bounds one bulk create.
const MaxBulkItems = 1000

// ItemPath is the {region} and {item} path parameters.
// (Exported: huma fills only exported embedded fields.)
type ItemPath struct {
	RegionPath
	Item string `path:"item" maxLength:"128" doc:"The item's id."`
}

// BulkInput is a bulk create.
type BulkInput struct {
	Items []ItemInput `json:"items" required:"true" minItems:"1" maxItems:"1000" doc:"The items to create (at most 1000), each as for a single create."`
}

// BulkResult is the outcome of one item of a bulk create.
type BulkResult struct {
	Index   int              `json:"index" doc:"The item's position in the request."`
	Status  int              `json:"status" doc:"201 created, 200 an item with this external_id already existed, or the error's status (422 invalid, 503 retry)."`
	Item    *Item            `json:"item,omitempty" doc:"The item, on success."`
	Problem *huma.ErrorModel `json:"problem,omitempty" doc:"The problem, on failure."`
}

// BulkOutput is the answer to a bulk create.
type BulkOutput struct {
	Results  []BulkResult `json:"results" doc:"One result per item, in request order."`
	Created  int          `json:"created" doc:"How many items were created."`
	Existing int          `json:"existing" doc:"How many items already existed (same external_id)."`
	Failed   int          `json:"failed" doc:"How many items failed."`
}

// ItemPatch changes an open item.
type ItemPatch struct {
	Attributes map[string]any `json:"attributes,omitempty" doc:"JSON merge patch of the attributes: a key set to null is removed, others are set."`
	Priority   *int           `json:"priority,omitempty" doc:"The new base priority."`
}

// AgentRef names the agent acting on an item.
type AgentRef struct {
	Agent string `json:"agent,omitempty" maxLength:"128" doc:"The owner acting. Agent tokens act as their own agent (omit it); admin and manager tokens may omit it to act as the item's current owner."`
}

// ReleaseInput releases an item.
type ReleaseInput struct {
	Agent  string `json:"agent,omitempty" maxLength:"128" doc:"The owner releasing the item (see AgentRef)."`
	Reason string `json:"reason,omitempty" maxLength:"1000" doc:"Why, for the history."`
}

// TransferInput transfers an item.
type TransferInput struct {
	To     string `json:"to" required:"true" minLength:"1" maxLength:"128" doc:"The agent who gets the item. It must have room; presence, schedule and skills are the caller's call."`
	Reason string `json:"reason,omitempty" maxLength:"1000" doc:"Why, for the history."`
}

// checkItem validates an item body; paths are under prefix.
func checkItem(in *ItemInput, prefix string) allot.Problems {
	var ps allot.Problems
	if strings.TrimSpace(in.Type) == "" {
		ps.Add(prefix+".type", "required: the item's type, e.g. lead")
	}
	ps.AddAll(prefix, allot.ValidateAttributes(in.Attributes))
	if in.DueAt != nil {
		if y := in.DueAt.UTC().Year(); y < 1 || y > 9999 {
			ps.Add(prefix+".due_at", "must be between years 1 and 9999 in UTC")
		}
	}
	return ps
}

// newItemID returns "itm_" and 26 lowercase characters: the creation time
// in milliseconds (10 characters) then 80 random bits (16), in an alphabet
// whose byte order is its value order. Ids of items created later sort
// after, so the store's indexes keyed by item id (the items' primary key,
// an item's entries and decisions, its active assignment) grow at their
// end instead of at random pages: a group commit then dirties and writes a
// few pages per index instead of one page per item. Ids are not secrets
// (every read needs a token); 80 random bits keep them unique.
func newItemID() string { return newItemIDAt(time.Now()) }

// idAlphabet is Crockford's base32 in lower case: ascending in ASCII.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

func newItemIDAt(t time.Time) string {
	var b [4 + 26]byte
	copy(b[:], "itm_")
	ms := uint64(t.UnixMilli())
	for i := 13; i >= 4; i-- {
		b[i] = idAlphabet[ms&31]
		ms >>= 5
	}
	var r [10]byte
	rand.Read(r[:])
	var acc uint64
	bits := 0
	j := 14
	for _, x := range r {
		acc = acc<<8 | uint64(x)
		bits += 8
		for bits >= 5 {
			bits -= 5
			b[j] = idAlphabet[(acc>>bits)&31]
			j++
		}
	}
	return string(b[:])
}

func newItem(in *ItemInput) allot.Item {
	it := allot.Item{ID: newItemID(), Type: in.Type, ExternalID: in.ExternalID, Attributes: in.Attributes, Priority: in.Priority}
	if in.DueAt != nil {
		it.DueAt = in.DueAt.UTC()
	}
	return it
}

// requestHash identifies a request for Idempotency-Key: sha256 of method,
// path and body.
func requestHash(method, path string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", method, path)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// created is the answer for a newly created item: the item and the
// decision routing made for it.
func created(res node.Result, id string) Item {
	var out Item
	for _, it := range res.Items {
		if it.ID == id {
			out = itemOut(it)
			break
		}
	}
	for i := range res.Decisions {
		if res.Decisions[i].Item == id {
			d := res.Decisions[i]
			out.Decision = &d
			break
		}
	}
	return out
}

func (a *API) routeItems() {
	tags := []string{"items"}
	huma.Register(a.api, a.op(opSpec{id: "create-item", method: http.MethodPost, path: "/v1/regions/{region}/items",
		summary: "Create an item", tags: tags, perm: permIntake, status: http.StatusCreated, errors: bodyErrors,
		desc: "Creates an item and routes it at once: the answer shows its status (assigned, queued), owner and the decision with its explanation. " +
			"Idempotent on external_id (an existing item is answered with 200) and on the Idempotency-Key header: the same key with the same body answers the first answer again; with another body, 422."}),
		func(ctx context.Context, in *struct {
			RegionPath
			IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to retry: the same key and body get the same answer, without creating anything again."`
			RawBody        []byte
			Body           ItemInput
		}) (*bodyOut[Item], error) {
			if ps := checkItem(&in.Body, "body"); len(ps) > 0 {
				return nil, invalid("invalid item", ps)
			}
			it := newItem(&in.Body)
			cmd := node.Command{Actor: principalFrom(ctx).ID, Event: engine.ItemArrived{Item: it}}
			var first *Item
			if in.IdempotencyKey != "" {
				cmd.IdempotencyKey = in.IdempotencyKey
				cmd.RequestHash = requestHash(http.MethodPost, "/v1/regions/"+in.Region+"/items", in.RawBody)
				cmd.Respond = func(res node.Result) (int, []byte) {
					out := created(res, it.ID)
					b, err := json.Marshal(out)
					if err != nil {
						panic(err) // an Item always marshals
					}
					first = &out
					return http.StatusCreated, b
				}
			}
			res, err := a.n.Submit(ctx, in.Region, cmd)
			if err != nil {
				return nil, a.problem(ctx, err, inBody)
			}
			hold(ctx, res) // released once the answer is written
			switch {
			case res.Replay != nil:
				var out Item
				if err := json.Unmarshal(res.Replay.Body, &out); err != nil {
					return nil, a.problem(ctx, fmt.Errorf("stored idempotent response: %w", err), nil)
				}
				return ok(res.Replay.Status, out), nil
			case res.Existing:
				return ok(http.StatusOK, itemOut(res.Items[0])), nil
			case first != nil:
				return ok(http.StatusCreated, *first), nil
			default:
				return ok(http.StatusCreated, created(res, it.ID)), nil
			}
		})
	// RawBody (kept for the request hash) would document a second,
	// binary content type.
	createOp := a.api.OpenAPI().Paths["/v1/regions/{region}/items"].Post
	delete(createOp.RequestBody.Content, "application/octet-stream")
	createOp.Responses["200"] = &huma.Response{Description: "An item with this external_id already exists: it is answered, nothing is created.",
		Content: createOp.Responses["201"].Content}

	bulk := a.op(opSpec{id: "bulk-create-items", method: http.MethodPost, path: "/v1/regions/{region}/items:bulk",
		summary: "Create items in bulk", tags: tags, perm: permIntake, maxBody: a.opts.MaxBulkBodyBytes, errors: bodyErrors,
		desc: "Creates up to 1000 items, each as a single create would (idempotent on external_id). Every item is validated first; an invalid item gets its own 422 result and does not stop the others. The answer lists one result per item, in order."})
	huma.Register(a.api, bulk, a.bulkCreate)
	// The handler reads the raw body to report problems per item; the
	// document shows its real schema.
	bulkOp := a.api.OpenAPI().Paths[bulk.Path].Post
	bulkOp.RequestBody = &huma.RequestBody{Required: true, Description: "The items.", Content: map[string]*huma.MediaType{
		"application/json": {Schema: a.api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[BulkInput](), true, "BulkInput")}}}

	huma.Register(a.api, a.op(opSpec{id: "list-items", method: http.MethodGet, path: "/v1/regions/{region}/items",
		summary: "List items", tags: tags, perm: permItemRead, errors: []int{http.StatusUnprocessableEntity},
		desc: "Lists the region's items, oldest first, filtered by status, queue, owner and type; an agent token lists only its own items."}),
		func(ctx context.Context, in *struct {
			RegionPath
			Status string `query:"status" enum:"queued,offered,assigned,working,closed" doc:"Only items in this status."`
			Queue  string `query:"queue" maxLength:"128" doc:"Only items of this queue."`
			Owner  string `query:"owner" maxLength:"128" doc:"Only items owned by this agent."`
			Type   string `query:"type" maxLength:"128" doc:"Only items of this type."`
			Cursor string `query:"cursor" maxLength:"512" doc:"The next_cursor of the previous page."`
			Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
		}) (*listOut[Item], error) {
			p := principalFrom(ctx)
			owner := in.Owner
			if p.Role == store.RoleAgent {
				if owner != "" && owner != p.Agent {
					return nil, forbidden("an agent token lists only its own items")
				}
				owner = p.Agent
			}
			its, next, err := a.n.Store().Items(ctx, store.ItemQuery{Region: in.Region, Status: allot.Status(in.Status), Queue: in.Queue,
				Owner: owner, Type: in.Type, After: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, a.problem(ctx, err, queryLocator)
			}
			out := make([]Item, len(its))
			for i, it := range its {
				out[i] = itemOut(it)
			}
			return list(out, next), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "get-item", method: http.MethodGet, path: "/v1/regions/{region}/items/{item}",
		summary: "Get an item with its history", tags: tags, perm: permItemRead,
		desc: "Returns the item (open or closed), its history (the logged events and the decisions, oldest first) and the explanation of its latest decision. An agent token sees only items it owns."}),
		func(ctx context.Context, in *ItemPath) (*bodyOut[Item], error) {
			it, err := a.n.Store().Item(ctx, in.Region, in.Item)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			if p := principalFrom(ctx); p.Role == store.RoleAgent && it.Owner != p.Agent {
				return nil, forbidden("an agent token sees only items it owns")
			}
			out := itemOut(it)
			if out.History, out.Explanation, err = a.history(ctx, in.Region, in.Item); err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			return ok(http.StatusOK, out), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "update-item", method: http.MethodPatch, path: "/v1/regions/{region}/items/{item}",
		summary: "Update an item's attributes and priority", tags: tags, perm: permIntake, errors: bodyErrors,
		desc: "Merges attributes (a key set to null is removed) and sets the base priority of an open item, which is then classified again: a waiting item follows its rules; an owned one moves only when its queue has reroute set."}),
		func(ctx context.Context, in *struct {
			ItemPath
			Body ItemPatch
		}) (*bodyOut[ActionResult], error) {
			set := map[string]any{}
			for k, v := range in.Body.Attributes {
				if v != nil {
					set[k] = v
				}
			}
			if ps := allot.ValidateAttributes(set); len(ps) > 0 {
				var loc allot.Problems
				loc.AddAll("body", ps)
				return nil, invalid("invalid item update", loc)
			}
			return a.act(ctx, in.Region, in.Item, engine.ItemUpdated{ID: in.Item, Attributes: in.Body.Attributes, Priority: in.Body.Priority})
		})

	touch := func(ctx context.Context, in *struct {
		ItemPath
		Body *AgentRef
	}) (*bodyOut[ActionResult], error) {
		var want string
		if in.Body != nil {
			want = in.Body.Agent
		}
		agent, err := a.actingOwner(ctx, in.Region, in.Item, want)
		if err != nil {
			return nil, err
		}
		return a.act(ctx, in.Region, in.Item, engine.ItemTouched{ID: in.Item, Agent: agent})
	}
	for _, verb := range []string{"accept", "touch"} {
		huma.Register(a.api, a.op(opSpec{id: verb + "-item", method: http.MethodPost, path: "/v1/regions/{region}/items/{item}/" + verb,
			summary: map[string]string{"accept": "Accept an item", "touch": "Touch an item"}[verb], tags: tags, perm: permOwnItem,
			errors: append([]int{http.StatusConflict}, bodyErrors...),
			desc:   "Records the owner's first touch: assigned → working (touching a working item again changes nothing). accept and touch are the same action. Answers 409 when the agent does not own the item."}),
			touch)
	}

	huma.Register(a.api, a.op(opSpec{id: "release-item", method: http.MethodPost, path: "/v1/regions/{region}/items/{item}/release",
		summary: "Release an item", tags: tags, perm: permOwnItem, errors: append([]int{http.StatusConflict}, bodyErrors...),
		desc: "The owner gives the item back: it is routed again, never to the agent who released it."}),
		func(ctx context.Context, in *struct {
			ItemPath
			Body *ReleaseInput
		}) (*bodyOut[ActionResult], error) {
			var body ReleaseInput
			if in.Body != nil {
				body = *in.Body
			}
			agent, err := a.actingOwner(ctx, in.Region, in.Item, body.Agent)
			if err != nil {
				return nil, err
			}
			return a.act(ctx, in.Region, in.Item, engine.ItemReleased{ID: in.Item, Agent: agent, Reason: body.Reason})
		})

	huma.Register(a.api, a.op(opSpec{id: "close-item", method: http.MethodPost, path: "/v1/regions/{region}/items/{item}/close",
		summary: "Close an item", tags: tags, perm: permOwnItem,
		desc: "Closes an open item, freeing its owner's capacity: the owner is pushed the next waiting item it is eligible for (see decisions)."}),
		func(ctx context.Context, in *ItemPath) (*bodyOut[ActionResult], error) {
			p := principalFrom(ctx)
			if p.Role != store.RoleAgent {
				return a.act(ctx, in.Region, in.Item, engine.ItemClosed{ID: in.Item})
			}
			if _, err := a.actingOwner(ctx, in.Region, in.Item, ""); err != nil {
				return nil, err
			}
			// Check again inside the writer: the item may have moved to
			// another agent since (a reroute, a transfer).
			return a.actChecked(ctx, in.Region, in.Item, engine.ItemClosed{ID: in.Item}, func(e *engine.Engine) error {
				if it, ok := e.Item(in.Item); !ok || it.Owner != p.Agent {
					return forbidden("an agent token acts only on items it owns")
				}
				return nil
			})
		})

	huma.Register(a.api, a.op(opSpec{id: "reopen-item", method: http.MethodPost, path: "/v1/regions/{region}/items/{item}/reopen",
		summary: "Reopen a closed item", tags: tags, perm: permManage, errors: []int{http.StatusConflict},
		desc: "Brings a closed item back (same id, type, external id, attributes and priority) and routes it as a new arrival."}),
		func(ctx context.Context, in *ItemPath) (*bodyOut[ActionResult], error) {
			it, err := a.n.Store().Item(ctx, in.Region, in.Item)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			if it.Status != allot.StatusClosed {
				return nil, a.problem(ctx, allot.Errorf(allot.ECONFLICT, "item %q is %s, not closed", in.Item, it.Status), nil)
			}
			ev := engine.ItemArrived{Item: allot.Item{ID: it.ID, Type: it.Type, ExternalID: it.ExternalID, Attributes: it.Attributes, Priority: it.Priority}}
			res, err := a.n.Submit(ctx, in.Region, node.Command{Actor: principalFrom(ctx).ID, Event: ev, Reopen: true})
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			hold(ctx, res) // released once the answer is written
			return a.actionResult(ctx, in.Region, in.Item, res)
		})

	huma.Register(a.api, a.op(opSpec{id: "transfer-item", method: http.MethodPost, path: "/v1/regions/{region}/items/{item}/transfer",
		summary: "Transfer an item to an agent", tags: tags, perm: permManage, errors: append([]int{http.StatusConflict}, bodyErrors...),
		desc: "Gives an open item to an agent, bypassing the queue's policy. The agent must have room (409 otherwise)."}),
		func(ctx context.Context, in *struct {
			ItemPath
			Body TransferInput
		}) (*bodyOut[ActionResult], error) {
			return a.act(ctx, in.Region, in.Item, engine.ItemTransferred{ID: in.Item, To: in.Body.To, Reason: in.Body.Reason})
		})

	huma.Register(a.api, a.op(opSpec{id: "explain", method: http.MethodPost, path: "/v1/regions/{region}/explain",
		summary: "Explain how an item would be routed (dry run)", tags: []string{"explain"}, perm: permManage, errors: bodyErrors,
		desc: "Routes a hypothetical item exactly as a create would now — rule, queue, every candidate and why it was excluded or how it scored — without changing anything."}),
		func(ctx context.Context, in *struct {
			RegionPath
			Body ItemInput
		}) (*bodyOut[allot.Decision], error) {
			if ps := checkItem(&in.Body, "body"); len(ps) > 0 {
				return nil, invalid("invalid item", ps)
			}
			it := newItem(&in.Body)
			it.ID = ""
			var d allot.Decision
			var derr error
			if err := a.n.Read(ctx, in.Region, func(e *engine.Engine) { d, derr = e.Explain(it) }); err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			if derr != nil {
				return nil, a.problem(ctx, derr, inBody)
			}
			return ok(http.StatusOK, d), nil
		})
}

func queryLocator(p string) string {
	if located(p) {
		return p
	}
	return under("query", p)
}

// actingOwner returns the agent acting on an open item as its owner: an
// agent token's own agent (403 unless it owns the item), or for admin and
// manager tokens the named agent or else the current owner.
func (a *API) actingOwner(ctx context.Context, region, id, want string) (string, error) {
	var it allot.Item
	var found bool
	if err := a.n.Read(ctx, region, func(e *engine.Engine) { it, found = e.Item(id) }); err != nil {
		return "", a.problem(ctx, err, nil)
	}
	p := principalFrom(ctx)
	if p.Role == store.RoleAgent {
		if want != "" && want != p.Agent {
			return "", forbidden("an agent token acts only as its own agent")
		}
		if !found || it.Owner != p.Agent {
			return "", forbidden("an agent token acts only on items it owns")
		}
		return p.Agent, nil
	}
	if !found {
		return "", a.problem(ctx, notFound("no open item %q", id), nil)
	}
	if want != "" {
		return want, nil
	}
	if it.Owner == "" {
		return "", a.problem(ctx, allot.Errorf(allot.ECONFLICT, "item %q has no owner", id), nil)
	}
	return it.Owner, nil
}

// act submits an event about item id and answers its new state.
func (a *API) act(ctx context.Context, region, id string, ev engine.Event) (*bodyOut[ActionResult], error) {
	return a.actChecked(ctx, region, id, ev, nil)
}

// actChecked is act with a check run inside the region's writer just before
// the event (see node.Command.Check).
func (a *API) actChecked(ctx context.Context, region, id string, ev engine.Event, check func(*engine.Engine) error) (*bodyOut[ActionResult], error) {
	res, err := a.n.Submit(ctx, region, node.Command{Actor: principalFrom(ctx).ID, Event: ev, Check: check})
	if err != nil {
		return nil, a.problem(ctx, err, inBody)
	}
	hold(ctx, res) // released once the answer is written
	return a.actionResult(ctx, region, id, res)
}

func (a *API) actionResult(ctx context.Context, region, id string, res node.Result) (*bodyOut[ActionResult], error) {
	i := slices.IndexFunc(res.Items, func(it allot.Item) bool { return it.ID == id })
	var it allot.Item
	if i >= 0 {
		it = res.Items[i]
	} else {
		var err error
		if it, err = a.n.Store().Item(ctx, region, id); err != nil {
			return nil, a.problem(ctx, err, nil)
		}
	}
	return ok(http.StatusOK, ActionResult{Item: itemOut(it), Decisions: decisions(res.Decisions)}), nil
}

// bulkCreate validates every item first, then submits the valid ones
// concurrently (one command each, so that they share group commits).
func (a *API) bulkCreate(ctx context.Context, in *struct {
	RegionPath
	RawBody []byte
}) (*bodyOut[BulkOutput], error) {
	var parsed any
	if err := json.Unmarshal(in.RawBody, &parsed); err != nil {
		return nil, huma.NewError(http.StatusBadRequest, "malformed JSON", &huma.ErrorDetail{Location: "body", Message: err.Error()})
	}
	reg := a.api.OpenAPI().Components.Schemas
	res := &huma.ValidateResult{}
	pb := huma.NewPathBuffer([]byte{}, 0)
	pb.Push("body")
	huma.Validate(reg, reg.Schema(reflect.TypeFor[BulkInput](), true, "BulkInput"), pb, huma.ModeWriteToServer, parsed, res)
	perItem := map[int][]error{}
	var whole []error
	for _, e := range res.Errors {
		loc := ""
		var d *huma.ErrorDetail
		if errors.As(e, &d) {
			loc = d.Location
		}
		if i, ok := itemIndex(loc); ok {
			perItem[i] = append(perItem[i], e)
		} else {
			whole = append(whole, e)
		}
	}
	if len(whole) > 0 {
		return nil, huma.NewError(http.StatusUnprocessableEntity, "validation failed", whole...)
	}
	var raw struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(in.RawBody, &raw); err != nil {
		return nil, huma.NewError(http.StatusUnprocessableEntity, "validation failed", &huma.ErrorDetail{Location: "body", Message: err.Error()})
	}
	out := BulkOutput{Results: make([]BulkResult, len(raw.Items))}
	items := make([]allot.Item, len(raw.Items))
	for i, r := range raw.Items {
		out.Results[i].Index = i
		prefix := fmt.Sprintf("body.items[%d]", i)
		var ps allot.Problems
		var body ItemInput
		if len(perItem[i]) == 0 {
			if err := json.Unmarshal(r, &body); err != nil {
				ps.Add(prefix, err.Error())
			} else {
				ps = checkItem(&body, prefix)
			}
		}
		if len(perItem[i]) > 0 || len(ps) > 0 {
			errs := perItem[i]
			for _, p := range ps {
				errs = append(errs, &huma.ErrorDetail{Location: p.Path, Message: p.Message})
			}
			out.Results[i].Status = http.StatusUnprocessableEntity
			out.Results[i].Problem = huma.NewError(http.StatusUnprocessableEntity, "invalid item", errs...).(*huma.ErrorModel)
			continue
		}
		items[i] = newItem(&body)
	}
	actor := principalFrom(ctx).ID
	var wg sync.WaitGroup
	for i := range items {
		if items[i].ID == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &out.Results[i]
			res, err := a.n.Submit(ctx, in.Region, node.Command{Actor: actor, Event: engine.ItemArrived{Item: items[i]}})
			if err != nil {
				prefix := fmt.Sprintf("body.items[%d]", i)
				pr := a.problem(ctx, err, func(p string) string { return under(prefix, p) })
				r.Status, r.Problem = pr.GetStatus(), asErrorModel(pr)
				return
			}
			hold(ctx, res) // released once the answer is written
			var it Item
			if res.Existing {
				r.Status, it = http.StatusOK, itemOut(res.Items[0])
			} else {
				r.Status, it = http.StatusCreated, created(res, items[i].ID)
			}
			r.Item = &it
		}()
	}
	wg.Wait()
	for _, r := range out.Results {
		switch r.Status {
		case http.StatusCreated:
			out.Created++
		case http.StatusOK:
			out.Existing++
		default:
			out.Failed++
		}
	}
	return ok(http.StatusOK, out), nil
}

func asErrorModel(se huma.StatusError) *huma.ErrorModel {
	if m, ok := se.(*huma.ErrorModel); ok {
		return m
	}
	return &huma.ErrorModel{Status: se.GetStatus(), Title: http.StatusText(se.GetStatus()), Detail: se.Error()}
}

// itemIndex parses "body.items[3]..." into 3.
func itemIndex(loc string) (int, bool) {
	rest, ok := strings.CutPrefix(loc, "body.items[")
	if !ok {
		return 0, false
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return 0, false
	}
	i, err := strconv.Atoi(rest[:end])
	return i, err == nil
}
