package sqlload

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
	uses       = map[string]string{}
)

// RegisterAdapter makes an adapter available to scenarios under name. It is
// called from the adapter package's init; registering a name twice panics, as
// that is a programming error found at start-up.
func RegisterAdapter(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("sqlload: adapter " + name + " registered twice")
	}
	registry[name] = f
}

// DescribeAdapter records when to choose the adapter name, one line shown
// by 'pgqtune scenarios'. Adapter packages call it from init beside
// RegisterAdapter.
func DescribeAdapter(name, use string) {
	registryMu.Lock()
	defer registryMu.Unlock()
	uses[name] = use
}

// AdapterUse returns the line DescribeAdapter recorded for name ("" when
// none).
func AdapterUse(name string) string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return uses[name]
}

// Adapters lists the registered adapter names, sorted.
func Adapters() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LookupAdapter returns the factory registered under name.
func LookupAdapter(name string) (Factory, error) {
	registryMu.RLock()
	f, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown adapter %q (known: %s)", name, strings.Join(Adapters(), ", "))
	}
	return f, nil
}
