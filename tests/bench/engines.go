package bench

import "sync"

// Engines is the workload with every engine built and every request pre-converted to each
// engine's native form. Reqs[i] of each engine is Workload.Requests[i].
type Engines struct {
	Workload *Workload
	Iamref   *Iamref
	Cedar    *Cedar
	Casbin   *Casbin
	Naive    *Naive
}

// NewEngines generates the workload of c and builds every engine on it.
func NewEngines(c Config) (*Engines, error) {
	w := Generate(c)
	e := &Engines{Workload: w, Naive: NewNaive(w)}
	var err error
	if e.Iamref, err = NewIamref(w); err != nil {
		return nil, err
	}
	if e.Cedar, err = NewCedar(w); err != nil {
		return nil, err
	}
	if e.Casbin, err = NewCasbin(w); err != nil {
		return nil, err
	}
	return e, nil
}

var (
	defaultOnce    sync.Once
	defaultEngines *Engines
	defaultErr     error
)

// Default builds the engines of DefaultConfig once per process.
func Default() (*Engines, error) {
	defaultOnce.Do(func() { defaultEngines, defaultErr = NewEngines(DefaultConfig) })
	return defaultEngines, defaultErr
}
