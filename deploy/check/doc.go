// Package check validates the deployment files offline: the Helm chart
// rendered with Helm's Go SDK and decoded strictly into Kubernetes API types,
// and the compose file loaded with compose-go. It is a module of its own so
// that the application's build does not carry Helm.
package check
