package httpapi

import (
	"context"
	"net/http"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/node"
)

// AgentPath is the {region} and {agent} path parameters.
// (Exported: huma fills only exported embedded fields.)
type AgentPath struct {
	RegionPath
	Agent string `path:"agent" maxLength:"128" doc:"The agent's id."`
}

// PresenceInput sets an agent's presence.
type PresenceInput struct {
	Status string `json:"status" required:"true" minLength:"1" maxLength:"128" doc:"A presence status of the region's catalogue (by default available, busy, break, lunch, offline); only routable ones (available) receive work."`
}

// AgentState is an agent's runtime state and the decisions a change caused.
type AgentState struct {
	Agent     engine.AgentStatus `json:"agent" doc:"The agent's runtime state."`
	Decisions []allot.Decision   `json:"decisions" doc:"Decisions the change caused (work pushed to the agent)."`
}

// NextOut is the item an agent was given by next.
type NextOut struct {
	Status int
	Body   *ActionResult
}

func findAgent(r *allot.Region, id string) int {
	return slices.IndexFunc(r.Agents, func(a allot.Agent) bool { return a.ID == id })
}

func (a *API) routeAgents() {
	tags := []string{"agents"}
	huma.Register(a.api, a.op(opSpec{id: "list-agents", method: http.MethodGet, path: "/v1/regions/{region}/agents",
		summary: "List agents", tags: tags, perm: permManage,
		desc: "Lists the region's agents (their config: skills, attributes, capacity, schedule, absences, ...), in config order."}),
		func(ctx context.Context, in *RegionPath) (*listOut[allot.Agent], error) {
			r, err := a.regionConfig(ctx, in.Region)
			if err != nil {
				return nil, err
			}
			return list(r.Agents, ""), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "create-agent", method: http.MethodPost, path: "/v1/regions/{region}/agents",
		summary: "Create an agent", tags: tags, perm: permManage, status: http.StatusCreated,
		errors: append([]int{http.StatusConflict}, bodyErrors...),
		desc:   "Adds an agent to the region. Add it to queues (members) to give it work; presence is the status it starts in."}),
		func(ctx context.Context, in *struct {
			RegionPath
			Body allot.Agent
		}) (*bodyOut[allot.Agent], error) {
			ag := in.Body
			normalizeAgent(&ag)
			_, err := a.edit(ctx, in.Region, func(r *allot.Region) (string, error) {
				if ag.ID != "" && findAgent(r, ag.ID) >= 0 {
					return "", allot.Errorf(allot.ECONFLICT, "agent %q already exists; PUT it to change it", ag.ID)
				}
				r.Agents = append(r.Agents, ag)
				return objPath("agents", len(r.Agents)-1), nil
			})
			if err != nil {
				return nil, err
			}
			return a.getAgent(ctx, in.Region, ag.ID, http.StatusCreated)
		})

	huma.Register(a.api, a.op(opSpec{id: "get-agent", method: http.MethodGet, path: "/v1/regions/{region}/agents/{agent}",
		summary: "Get an agent", tags: tags, perm: permManage,
		desc: "Returns the agent's config."}),
		func(ctx context.Context, in *AgentPath) (*bodyOut[allot.Agent], error) {
			return a.getAgent(ctx, in.Region, in.Agent, http.StatusOK)
		})

	huma.Register(a.api, a.op(opSpec{id: "put-agent", method: http.MethodPut, path: "/v1/regions/{region}/agents/{agent}",
		summary: "Replace an agent", tags: tags, perm: permManage, errors: bodyErrors,
		desc: "Replaces the agent's config: skills, attributes, capacity, weight, caps, schedule, absences. The agent keeps its items and its current presence (set presence with PUT .../presence)."}),
		func(ctx context.Context, in *struct {
			AgentPath
			Body allot.Agent
		}) (*bodyOut[allot.Agent], error) {
			ag := in.Body
			if err := checkPathID("id", ag.ID, in.Agent, "agent"); err != nil {
				return nil, err
			}
			ag.ID = in.Agent
			normalizeAgent(&ag)
			_, err := a.edit(ctx, in.Region, func(r *allot.Region) (string, error) {
				i := findAgent(r, in.Agent)
				if i < 0 {
					return "", notFound("no agent %q in region %q", in.Agent, in.Region)
				}
				r.Agents[i] = ag
				return objPath("agents", i), nil
			})
			if err != nil {
				return nil, err
			}
			return a.getAgent(ctx, in.Region, in.Agent, http.StatusOK)
		})

	huma.Register(a.api, a.op(opSpec{id: "delete-agent", method: http.MethodDelete, path: "/v1/regions/{region}/agents/{agent}",
		summary: "Delete an agent", tags: tags, perm: permManage, status: http.StatusNoContent,
		desc: "Removes the agent and its queue memberships. Its open items are routed again to other agents."}),
		func(ctx context.Context, in *AgentPath) (*struct{}, error) {
			_, err := a.edit(ctx, in.Region, func(r *allot.Region) (string, error) {
				i := findAgent(r, in.Agent)
				if i < 0 {
					return "", notFound("no agent %q in region %q", in.Agent, in.Region)
				}
				r.Agents = slices.Delete(r.Agents, i, i+1)
				for q := range r.Queues {
					r.Queues[q].Members = slices.DeleteFunc(r.Queues[q].Members, func(m string) bool { return m == in.Agent })
				}
				return "", nil
			})
			return nil, err
		})

	huma.Register(a.api, a.op(opSpec{id: "set-agent-presence", method: http.MethodPut, path: "/v1/regions/{region}/agents/{agent}/presence",
		summary: "Set an agent's presence", tags: tags, perm: permAgentSelf, errors: bodyErrors,
		desc: "Sets the agent's presence status. Becoming available pushes the best waiting items the agent is eligible for, up to its capacity."}),
		func(ctx context.Context, in *struct {
			AgentPath
			Body PresenceInput
		}) (*bodyOut[AgentState], error) {
			res, err := a.n.Submit(ctx, in.Region, node.Command{Actor: principalFrom(ctx).ID,
				Event: engine.AgentPresence{Agent: in.Agent, Status: in.Body.Status}})
			if err != nil {
				return nil, a.problem(ctx, err, presenceLocator)
			}
			hold(ctx, res) // released once the answer is written
			st, err := a.agentStatus(ctx, in.Region, in.Agent)
			if err != nil {
				return nil, err
			}
			return ok(http.StatusOK, AgentState{Agent: st, Decisions: decisions(res.Decisions)}), nil
		})

	hb := a.op(opSpec{id: "agent-heartbeat", method: http.MethodPost, path: "/v1/regions/{region}/agents/{agent}/heartbeat",
		summary: "Report that an agent's client is alive", tags: tags, perm: permAgentSelf,
		desc: "Agents' clients call this every few seconds. In a region with heartbeat_seconds set, an agent that has sent heartbeats is set offline when they stop for that long (its pending offers return; accepted work stays). Heartbeats are not logged; the lapse is. Answers 204."})
	hb.DefaultStatus = http.StatusNoContent
	huma.Register(a.api, hb, func(ctx context.Context, in *AgentPath) (*struct{}, error) {
		if err := a.n.Heartbeat(ctx, in.Region, in.Agent); err != nil {
			return nil, a.problem(ctx, err, nil)
		}
		return nil, nil
	})

	op := a.op(opSpec{id: "agent-next", method: http.MethodPost, path: "/v1/regions/{region}/agents/{agent}/next",
		summary: "Give an agent its next item", tags: tags, perm: permAgentSelf,
		desc: "The agent asks for work: it is assigned the best waiting item it is eligible for (manual agents included). Answers 200 with the item, or 204 when nothing is waiting for it."})
	huma.Register(a.api, op, func(ctx context.Context, in *AgentPath) (*NextOut, error) {
		res, err := a.n.Submit(ctx, in.Region, node.Command{Actor: principalFrom(ctx).ID, Event: engine.AgentNext{Agent: in.Agent}})
		if err != nil {
			return nil, a.problem(ctx, err, nil)
		}
		hold(ctx, res) // released once the answer is written
		for _, d := range res.Decisions {
			if d.Agent != in.Agent || d.Cause != "next" {
				continue
			}
			for _, it := range res.Items {
				if it.ID == d.Item {
					return &NextOut{Status: http.StatusOK, Body: &ActionResult{Item: itemOut(it), Decisions: decisions(res.Decisions)}}, nil
				}
			}
		}
		return &NextOut{Status: http.StatusNoContent}, nil
	})
	a.api.OpenAPI().Paths[op.Path].Post.Responses["204"] = &huma.Response{Description: "Nothing is waiting for the agent."}
}

func presenceLocator(p string) string {
	if p == "status" {
		return "body.status"
	}
	return inBody(p)
}

func (a *API) getAgent(ctx context.Context, region, id string, status int) (*bodyOut[allot.Agent], error) {
	r, err := a.regionConfig(ctx, region)
	if err != nil {
		return nil, err
	}
	i := findAgent(&r, id)
	if i < 0 {
		return nil, a.problem(ctx, notFound("no agent %q in region %q", id, region), nil)
	}
	return ok(status, r.Agents[i]), nil
}

func (a *API) agentStatus(ctx context.Context, region, id string) (engine.AgentStatus, error) {
	var st engine.AgentStatus
	var found bool
	if err := a.n.Read(ctx, region, func(e *engine.Engine) { st, found = e.Agent(id) }); err != nil {
		return st, a.problem(ctx, err, nil)
	}
	if !found {
		return st, a.problem(ctx, notFound("no agent %q in region %q", id, region), nil)
	}
	return st, nil
}

// decisions never answers null.
func decisions(ds []allot.Decision) []allot.Decision {
	if ds == nil {
		return []allot.Decision{}
	}
	return ds
}
