package wire

import "fmt"

func sscan(s, format string, v any) (int, error) { return fmt.Sscanf(s, format, v) }
