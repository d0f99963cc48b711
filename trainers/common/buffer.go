package common

import (
	"fmt"
	"math/rand/v2"
)

// Buffer stores transitions in flat row-major slices: Obs and NextObs
// [n, ObsDim], Act [n, ActDim], Rew [n], Term [n] (terminated, so no
// bootstrapping from NextObs). With Capacity > 0 it is a ring buffer that
// overwrites the oldest transitions (a replay buffer); with Capacity 0 it
// grows without bound (a dataset that aggregates everything).
type Buffer struct {
	ObsDim, ActDim int
	Capacity       int

	Obs, Act, NextObs, Rew []float64
	Term                   []bool
	next, size             int
}

// NewBuffer returns an empty buffer.
func NewBuffer(obsDim, actDim, capacity int) *Buffer {
	return &Buffer{ObsDim: obsDim, ActDim: actDim, Capacity: capacity}
}

// Len is the number of stored transitions.
func (b *Buffer) Len() int { return b.size }

// Add stores one transition (the slices are copied).
func (b *Buffer) Add(obs, act []float64, rew float64, next []float64, term bool) {
	if b.Capacity > 0 && b.size == b.Capacity {
		i := b.next
		copy(b.Obs[i*b.ObsDim:], obs)
		copy(b.Act[i*b.ActDim:], act)
		copy(b.NextObs[i*b.ObsDim:], next)
		b.Rew[i], b.Term[i] = rew, term
		b.next = (b.next + 1) % b.Capacity
		return
	}
	b.Obs = append(b.Obs, obs[:b.ObsDim]...)
	b.Act = append(b.Act, act[:b.ActDim]...)
	b.NextObs = append(b.NextObs, next[:b.ObsDim]...)
	b.Rew = append(b.Rew, rew)
	b.Term = append(b.Term, term)
	b.size++
	if b.Capacity > 0 {
		b.next = b.size % b.Capacity
	}
}

// AddTransition stores tr.
func (b *Buffer) AddTransition(tr *Transition) {
	b.Add(tr.Obs, tr.Action, tr.Reward, tr.NextObs, tr.Terminated)
}

// SampleIndices fills idx with uniform random indices of stored transitions.
func (b *Buffer) SampleIndices(idx []int, rng *rand.Rand) error {
	if b.size == 0 {
		return fmt.Errorf("common: sample from an empty buffer")
	}
	for i := range idx {
		idx[i] = rng.IntN(b.size)
	}
	return nil
}

// Gather copies the transitions at idx into the given flat batches (any may
// be nil to skip it).
func (b *Buffer) Gather(idx []int, obs, act, rew, next []float64, term []bool) {
	for k, i := range idx {
		if obs != nil {
			copy(obs[k*b.ObsDim:(k+1)*b.ObsDim], b.Obs[i*b.ObsDim:])
		}
		if act != nil {
			copy(act[k*b.ActDim:(k+1)*b.ActDim], b.Act[i*b.ActDim:])
		}
		if next != nil {
			copy(next[k*b.ObsDim:(k+1)*b.ObsDim], b.NextObs[i*b.ObsDim:])
		}
		if rew != nil {
			rew[k] = b.Rew[i]
		}
		if term != nil {
			term[k] = b.Term[i]
		}
	}
}
