//go:build amd64 && !purego

package crc32c

func hasAVX512Reported() bool { return hasAVX512 }
