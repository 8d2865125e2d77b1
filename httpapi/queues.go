package httpapi

import (
	"context"
	"net/http"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
)

// QueuePath is the {region} and {queue} path parameters.
// (Exported: huma fills only exported embedded fields.)
type QueuePath struct {
	RegionPath
	Queue string `path:"queue" maxLength:"128" doc:"The queue's id."`
}

func findQueue(r *allot.Region, id string) int {
	return slices.IndexFunc(r.Queues, func(q allot.Queue) bool { return q.ID == id })
}

func (a *API) routeQueues() {
	tags := []string{"queues"}
	huma.Register(a.api, a.op(opSpec{id: "list-queues", method: http.MethodGet, path: "/v1/regions/{region}/queues",
		summary: "List queues", tags: tags, perm: permManage,
		desc: "Lists the region's queues in config order."}),
		func(ctx context.Context, in *RegionPath) (*listOut[allot.Queue], error) {
			r, err := a.regionConfig(ctx, in.Region)
			if err != nil {
				return nil, err
			}
			return list(r.Queues, ""), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "create-queue", method: http.MethodPost, path: "/v1/regions/{region}/queues",
		summary: "Create a queue", tags: tags, perm: permManage, status: http.StatusCreated,
		errors: append([]int{http.StatusConflict}, bodyErrors...),
		desc:   "Adds a queue: its members (agent ids), distribution policy, ordering, SLA and overflow."}),
		func(ctx context.Context, in *struct {
			RegionPath
			Body allot.Queue
		}) (*bodyOut[allot.Queue], error) {
			q := in.Body
			_, err := a.edit(ctx, in.Region, func(r *allot.Region) (string, error) {
				if q.ID != "" && findQueue(r, q.ID) >= 0 {
					return "", allot.Errorf(allot.ECONFLICT, "queue %q already exists; PUT it to change it", q.ID)
				}
				r.Queues = append(r.Queues, q)
				return objPath("queues", len(r.Queues)-1), nil
			})
			if err != nil {
				return nil, err
			}
			return a.getQueue(ctx, in.Region, q.ID, http.StatusCreated)
		})

	huma.Register(a.api, a.op(opSpec{id: "get-queue", method: http.MethodGet, path: "/v1/regions/{region}/queues/{queue}",
		summary: "Get a queue", tags: tags, perm: permManage, desc: "Returns the queue's config."}),
		func(ctx context.Context, in *QueuePath) (*bodyOut[allot.Queue], error) {
			return a.getQueue(ctx, in.Region, in.Queue, http.StatusOK)
		})

	huma.Register(a.api, a.op(opSpec{id: "put-queue", method: http.MethodPut, path: "/v1/regions/{region}/queues/{queue}",
		summary: "Replace a queue", tags: tags, perm: permManage, errors: bodyErrors,
		desc: "Replaces the queue's config. Waiting items are routed again; assigned items keep their owners."}),
		func(ctx context.Context, in *struct {
			QueuePath
			Body allot.Queue
		}) (*bodyOut[allot.Queue], error) {
			q := in.Body
			if err := checkPathID("id", q.ID, in.Queue, "queue"); err != nil {
				return nil, err
			}
			q.ID = in.Queue
			_, err := a.edit(ctx, in.Region, func(r *allot.Region) (string, error) {
				i := findQueue(r, in.Queue)
				if i < 0 {
					return "", notFound("no queue %q in region %q", in.Queue, in.Region)
				}
				r.Queues[i] = q
				return objPath("queues", i), nil
			})
			if err != nil {
				return nil, err
			}
			return a.getQueue(ctx, in.Region, in.Queue, http.StatusOK)
		})

	huma.Register(a.api, a.op(opSpec{id: "delete-queue", method: http.MethodDelete, path: "/v1/regions/{region}/queues/{queue}",
		summary: "Delete a queue", tags: tags, perm: permManage, status: http.StatusNoContent, errors: []int{http.StatusUnprocessableEntity},
		desc: "Removes the queue. Rules, overflows and the default queue that name it must be changed first (422 lists them)."}),
		func(ctx context.Context, in *QueuePath) (*struct{}, error) {
			_, err := a.edit(ctx, in.Region, func(r *allot.Region) (string, error) {
				i := findQueue(r, in.Queue)
				if i < 0 {
					return "", notFound("no queue %q in region %q", in.Queue, in.Region)
				}
				r.Queues = slices.Delete(r.Queues, i, i+1)
				return "", nil
			})
			return nil, err
		})
}

func (a *API) getQueue(ctx context.Context, region, id string, status int) (*bodyOut[allot.Queue], error) {
	r, err := a.regionConfig(ctx, region)
	if err != nil {
		return nil, err
	}
	i := findQueue(&r, id)
	if i < 0 {
		return nil, a.problem(ctx, notFound("no queue %q in region %q", id, region), nil)
	}
	return ok(status, r.Queues[i]), nil
}
