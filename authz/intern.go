package authz

import "sync"

// Interning turns entity identities and tag pairs into small integers, once when an entity is
// built (Entity.Interned) and once when a principal compiles, so that a decision compares
// integers in contiguous memory instead of hashing strings into maps. The numbers are
// process-wide and never reused. The tables stop growing at maxInternedIDs identities and
// maxInternedPairs tag pairs (bounding their memory, whatever tenants name); what is not
// interned past that is decided through the strings, as an entity built without Interned is.
const (
	maxInternedIDs   = 1 << 20
	maxInternedPairs = 1 << 18
)

var interned = struct {
	mu    sync.RWMutex
	ids   map[string]uint32 // entity identity → number (from 1)
	pairs map[tagKV]uint32  // tag pair → number (from 1)
}{ids: map[string]uint32{}, pairs: map[tagKV]uint32{}}

// maxInternedTags bounds the tags of an entity whose pairs are interned (held inline in the
// entity, so that a decision reads them with the request): past it a decision takes the
// string path.
const maxInternedTags = 8

// internID is id's number, added when new; 0 when the table is full.
func internID(id string) uint32 {
	interned.mu.RLock()
	n := interned.ids[id]
	interned.mu.RUnlock()
	if n != 0 {
		return n
	}
	interned.mu.Lock()
	defer interned.mu.Unlock()
	if n = interned.ids[id]; n == 0 && len(interned.ids) < maxInternedIDs {
		n = uint32(len(interned.ids) + 1)
		interned.ids[id] = n
	}
	return n
}

// internPair is the pair's number, added when new; 0 when the table is full.
func internPair(kv tagKV) uint32 {
	interned.mu.RLock()
	n := interned.pairs[kv]
	interned.mu.RUnlock()
	if n != 0 {
		return n
	}
	interned.mu.Lock()
	defer interned.mu.Unlock()
	if n = interned.pairs[kv]; n == 0 && len(interned.pairs) < maxInternedPairs {
		n = uint32(len(interned.pairs) + 1)
		interned.pairs[kv] = n
	}
	return n
}

// internedForm is an entity's identity and tag pairs as numbers (Entity.Interned).
type internedForm struct {
	num    uint32 // identity's number; 0 = not interned (decide by ID)
	n      uint8  // tags in pairs
	tagsOK bool   // pairs holds every tag; false = decide by Tags
	pairs  [maxInternedTags]uint32
}

// Interned returns e with its identity and tags also held as numbers, which Decide and
// Explain then compare instead of the strings; decisions are the same either way. Build the
// entity (ID, Tags, Unknown) first: Interned takes a snapshot, and a copy changed afterwards
// must be interned again. It allocates the tag numbers once; callers deciding many times about
// one entity (listings, batches, benchmarks) gain the most.
func (e Entity) Interned() Entity {
	e.in = internedForm{}
	if e.ID != "" {
		e.in.num = internID(e.ID)
	}
	if e.Unknown || len(e.Tags) > maxInternedTags {
		return e // unknown tags never match; many tags take the map path
	}
	for k, v := range e.Tags {
		p := internPair(tagKV{k, v})
		if p == 0 {
			return e
		}
		e.in.pairs[e.in.n] = p
		e.in.n++
	}
	e.in.tagsOK = true
	return e
}

// hasPair reports whether the interned tags hold pair number p.
func (f *internedForm) hasPair(p uint32) bool {
	for _, q := range f.pairs[:f.n] {
		if q == p {
			return true
		}
	}
	return false
}

// hotKind is the part of a kind's index that Decide reads before the residual checks: the
// scopes granted on every entity, and the pinned identities by interned number, each with its
// slot (a distinct set of scopes and grants) in one open-addressing table of 4-byte cells, so
// that a pinned decision is a multiply and usually one more cache line, and a principal's
// table stays small enough for many of them to stay in the cache.
type hotKind struct {
	all   uint32 // scopeBit bits granted on every entity
	shift uint8
	// numbered: cells holds every pinned identity, so an interned entity is decided by number.
	// False when some identity could not be interned or numbered (cellNumBits, cellSlotBits),
	// and for kinds of over 32 scopes (Decide then reads kindIndex only).
	numbered bool
	guarded  bool  // the index has guardrails on this kind (WithGuardrails)
	inlined  uint8 // checks in inline
	// small is the number of pinned identities held in inline's words instead of cells (a
	// kind without residual checks and with few identities), scanned in order: then a pinned
	// decision reads the hot line only.
	small uint8
	// slotBits are the scopes of the first slots as scopeBit bits (the rest in cold).
	slotBits [hotSlots]uint32
	// cells: number<<cellSlotBits | slot, power-of-two length, at most half full; 0 = empty;
	// nil = no identities.
	cells []uint32
	// The kind's residual checks (kindIndex.checks, same order) as an interned entity's
	// decision reads them: the first few inline, on the same pair of cache lines, the rest in
	// cold.
	inline [hotInline]fastCheck
	cold   *hotCold // nil when everything fits inline (128 bytes in all: TestHotKindIsOneLine)
}

// hotCold is what a kind's hot line has no room for: residual checks past hotInline and the
// scope bits of slots past hotSlots.
type hotCold struct {
	more     []fastCheck
	slotBits []uint32
}

// A cell of hotKind.cells holds an interned number (below 1<<cellNumBits) and a slot (below
// 1<<cellSlotBits).
const (
	cellSlotBits = 11
	cellNumBits  = 32 - cellSlotBits
)

// hotSlots slots have their scope bits in the hot line.
const hotSlots = 4

// hotPad is the padding before Index.hot that lines it up, given the allocator's header.
const hotPad = 128 - 8

// hotInline residual checks fit beside the rest of hotKind in 128 bytes.
const hotInline = 5

// fastCheck is a residual check in three words: scopes as scopeBit bits ([0]) and its one or
// two tag pairs as interned numbers ([1], [2]; [2] = 0: one pair). [1] = 0: another condition,
// which Decide reads from kindIndex.checks. hotKind.inline holds pinned cells in the same words
// when the kind has no residual checks.
type fastCheck [3]uint32

// holds reports whether an interned entity's tags hold the check's pairs.
func (c *fastCheck) holds(f *internedForm) bool {
	return f.hasPair(c[1]) && (c[2] == 0 || f.hasPair(c[2]))
}

// scopeBit is each scope's bit among its kind's scopes (0 for kinds of over 32 scopes).
var scopeBit = func() (out [maxScopes]uint32) {
	for k := EntityKind(0); k < numKinds; k++ {
		ids := kindScopes[k].IDs()
		if len(ids) > 32 {
			continue
		}
		for i, id := range ids {
			out[id] = 1 << i
		}
	}
	return out
}()

// build fills h from the frozen kind index ki of kind k.
func (h *hotKind) build(k EntityKind, ki *kindIndex) {
	if k == KindOrg || len(kindScopes[k].IDs()) > 32 {
		return // scopeBit is 0 for its scopes: Decide reads kindIndex
	}
	for _, id := range ki.all.IDs() {
		h.all |= scopeBit[id]
	}
	cold := &hotCold{}
	for i := range ki.checks {
		rc := &ki.checks[i]
		var fc fastCheck
		if rc.numbered {
			fc[1], fc[2] = rc.pid[0], rc.pid[1] // pid[1] is 0 for one pair
		}
		for _, id := range rc.scopes.IDs() {
			fc[0] |= scopeBit[id]
		}
		if i < hotInline {
			h.inline[i] = fc
			h.inlined++
		} else {
			cold.more = append(cold.more, fc)
		}
	}
	for slot, set := range ki.sets {
		var bits uint32
		for _, sid := range set.IDs() {
			bits |= scopeBit[sid]
		}
		if slot < hotSlots {
			h.slotBits[slot] = bits
		} else {
			cold.slotBits = append(cold.slotBits, bits)
		}
	}
	if cold.more != nil || cold.slotBits != nil {
		h.cold = cold
	}
	h.numbered = true
	if len(ki.ids) == 0 {
		return
	}
	if len(ki.sets) > 1<<cellSlotBits {
		h.numbered = false // decided by strings
		return
	}
	if len(ki.checks) == 0 && len(ki.ids) <= 3*hotInline {
		for id, slot := range ki.ids {
			n := internID(id)
			if n == 0 || n >= 1<<cellNumBits {
				h.numbered, h.small, h.inline = false, 0, [hotInline]fastCheck{}
				return
			}
			h.inline[h.small/3][h.small%3] = n<<cellSlotBits | uint32(slot)
			h.small++
		}
		return
	}
	size, bits := 8, uint8(3)
	for size < 2*len(ki.ids) {
		size, bits = size*2, bits+1
	}
	h.cells, h.shift = make([]uint32, size), 32-bits
	mask := uint32(size - 1)
	for id, slot := range ki.ids {
		n := internID(id)
		if n == 0 || n >= 1<<cellNumBits {
			h.numbered = false
			continue
		}
		for i := (n * 0x9E3779B1) >> h.shift; ; i = (i + 1) & mask {
			if h.cells[i] == 0 {
				h.cells[i] = n<<cellSlotBits | uint32(slot)
				break
			}
		}
	}
}

// find is entity number n's slot; ok is false when it is not pinned.
func (h *hotKind) find(n uint32) (slot uint32, ok bool) {
	if h.small > 0 {
		for i := range h.inline {
			for _, c := range h.inline[i] {
				if c>>cellSlotBits == n {
					return c & (1<<cellSlotBits - 1), true
				}
				if c == 0 {
					return 0, false
				}
			}
		}
		return 0, false
	}
	if h.cells == nil {
		return 0, false
	}
	mask := uint32(len(h.cells) - 1)
	for i := (n * 0x9E3779B1) >> h.shift; ; i = (i + 1) & mask {
		c := h.cells[i]
		if c>>cellSlotBits == n {
			return c & (1<<cellSlotBits - 1), true
		}
		if c == 0 {
			return 0, false
		}
	}
}

// bitsOf is slot's scopes as scopeBit bits.
func (h *hotKind) bitsOf(slot uint32) uint32 {
	if slot < hotSlots {
		return h.slotBits[slot]
	}
	return h.cold.slotBits[slot-hotSlots]
}

// check is residual check i of the kind (in kindIndex.checks order) in its fast form.
func (h *hotKind) check(i int) *fastCheck {
	if i < hotInline {
		return &h.inline[i]
	}
	return &h.cold.more[i-hotInline]
}

// checks is the number of residual checks of the kind (when the hot form is built).
func (h *hotKind) checks() int {
	if h.cold == nil {
		return int(h.inlined)
	}
	return int(h.inlined) + len(h.cold.more)
}
