package server

import "fmt"

// weakTokenValue says why a token value ("pul-" + 40 hex) is too predictable to be an admin
// credential, or "" when it is not. The rule is deliberately simple and refuses what people
// type by hand: fewer than 8 distinct hex digits, one digit 8 or more times in a row, or the
// digits repeating a pattern of at most 10 (abab…, 0123456789…). A random value fails it with a
// probability below 1e-7 (fewer than 8 distinct digits among 40 draws of 16 is the likeliest).
func weakTokenValue(value string) string {
	if len(value) != 44 {
		return ""
	}
	hex := value[4:]
	var seen [256]bool
	distinct, run, longest := 0, 0, 0
	for i := 0; i < len(hex); i++ {
		if !seen[hex[i]] {
			seen[hex[i]] = true
			distinct++
		}
		if i > 0 && hex[i] == hex[i-1] {
			run++
		} else {
			run = 1
		}
		longest = max(longest, run)
	}
	switch {
	case distinct < 8:
		return fmt.Sprintf("it uses only %d distinct hex digits", distinct)
	case longest >= 8:
		return fmt.Sprintf("it repeats one digit %d times in a row", longest)
	}
	for p := 1; p <= 10; p++ {
		periodic := true
		for i := p; i < len(hex) && periodic; i++ {
			periodic = hex[i] == hex[i-p]
		}
		if periodic {
			return fmt.Sprintf("it repeats the pattern %q", hex[:p])
		}
	}
	return ""
}
