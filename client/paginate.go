package client

import "fmt"

// collect calls page with "" and then with each continuation token it returns, until one
// returns "", and concatenates the items. A token that repeats is an error, not a loop.
func collect[T any](page func(token string) ([]T, string, error)) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	token := ""
	for {
		items, next, err := page(token)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		if seen[next] {
			return nil, fmt.Errorf("client: server repeated continuation token %q", next)
		}
		seen[next] = true
		token = next
	}
}
