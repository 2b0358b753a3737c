package client

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// tokenPattern matches Pulumi-style access token values.
var tokenPattern = regexp.MustCompile(`pul-[0-9a-fA-F]{40}`)

const redacted = "[REDACTED]"

// logAdapter is retryablehttp's LeveledLogger on top of slog. retryablehttp logs the method,
// the URL, errors and retry waits, never headers; as a second line of defence every value is
// rendered to text and scrubbed of the configured token and of anything shaped like one.
type logAdapter struct {
	logger *slog.Logger
	secret string
}

func (l *logAdapter) Error(msg string, kv ...any) { l.log(slog.LevelError, msg, kv) }
func (l *logAdapter) Info(msg string, kv ...any)  { l.log(slog.LevelInfo, msg, kv) }
func (l *logAdapter) Debug(msg string, kv ...any) { l.log(slog.LevelDebug, msg, kv) }
func (l *logAdapter) Warn(msg string, kv ...any)  { l.log(slog.LevelWarn, msg, kv) }

func (l *logAdapter) log(level slog.Level, msg string, kv []any) {
	ctx := context.Background()
	if !l.logger.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(kv)/2+1)
	for i := 0; i < len(kv); i += 2 {
		key := l.scrub(fmt.Sprint(kv[i]))
		if i+1 == len(kv) {
			attrs = append(attrs, slog.String("!BADKEY", key))
			break
		}
		attrs = append(attrs, l.attr(key, kv[i+1]))
	}
	l.logger.LogAttrs(ctx, level, "retryablehttp: "+l.scrub(msg), attrs...)
}

// attr keeps numbers, booleans and durations as they are and renders anything else to scrubbed
// text.
func (l *logAdapter) attr(key string, v any) slog.Attr {
	switch v := v.(type) {
	case int, int64, uint64, float64, bool:
		return slog.Any(key, v)
	case interface{ Nanoseconds() int64 }: // time.Duration
		return slog.Any(key, v)
	case error:
		return slog.String(key, l.scrub(v.Error()))
	default:
		return slog.String(key, l.scrub(fmt.Sprint(v)))
	}
}

func (l *logAdapter) scrub(s string) string {
	if l.secret != "" {
		s = strings.ReplaceAll(s, l.secret, redacted)
	}
	return tokenPattern.ReplaceAllString(s, redacted)
}
