package sim

import (
	"container/heap"
	"net/netip"
)

// item is a scheduled delivery or action.
type item struct {
	at       int64
	seq      uint64 // FIFO among equal times: determinism
	pkt      []byte
	src, dst netip.Addr
	fn       func()
}

type queue []*item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

func (q *queue) push(it *item) { heap.Push(q, it) }
func (q *queue) pop() *item    { return heap.Pop(q).(*item) }
func (q queue) peek() *item {
	if len(q) == 0 {
		return nil
	}
	return q[0]
}
