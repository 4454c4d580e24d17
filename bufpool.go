package sctpxdp

import "sync"

// Message buffers between the API and the pollers, pooled by size class so
// that steady traffic allocates nothing. Pointers to slices go in the pools
// (a slice header would be boxed on every Put).
var bufClasses = [...]int{256, 2048, 16 << 10, 64 << 10, 256 << 10}

var bufPools [len(bufClasses)]sync.Pool

// maxMessage is the largest message SendMsg takes in one piece.
const maxMessage = 256 << 10

func getBuf(n int) *[]byte {
	for i, c := range bufClasses {
		if n <= c {
			if p, ok := bufPools[i].Get().(*[]byte); ok {
				*p = (*p)[:n]
				return p
			}
			b := make([]byte, n, c)
			return &b
		}
	}
	b := make([]byte, n)
	return &b
}

func putBuf(p *[]byte) {
	c := cap(*p)
	for i, k := range bufClasses {
		if c == k {
			bufPools[i].Put(p)
			return
		}
	}
}
