package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves the Collector over srcs in the Prometheus exposition
// format, from a registry of its own (no Go runtime series mixed in).
func Handler(opts Options, srcs ...Source) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(opts, srcs...))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
