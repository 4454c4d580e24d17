// Package deploy holds the deployment files of sctp-xdp and the tests that
// check them: daemonset.yaml (a Kubernetes ConfigMap and DaemonSet, decoded
// strictly into the k8s.io/api types) and prometheus.yml (the scrape
// configuration, whose relabelling is run on the DaemonSet's pod), and the
// checks that README.md's Go example is example_test.go's code and that the
// README, the Dockerfile and the DaemonSet add the same capabilities.
//
// It is a module of its own so that the main module does not depend on the
// Kubernetes API types.
package deploy
