// Package standalone is the object source of `turnpike standalone --config DIR`: it
// reads the same YAML a user would `kubectl apply` and hands it to the compiler without
// a cluster.
//
// It sits where the informers sit in cluster mode:
//
//	YAML files -> Source (decode, default, validate, keep last good) -> compiler.Input -> Compile
//
// # What it reads
//
// Every *.yaml, *.yml and *.json file under the directory, recursively, in path order.
// Hidden files and directories (a leading '.') and editor leftovers (`*~`, `.#*`,
// `*.swp`) are skipped; symbolic links are followed, so a Kubernetes ConfigMap volume
// works as a config directory. A file may hold several YAML documents separated by
// `---`, or a JSON stream, and a document may be a `v1` `List`. Served kinds:
//
//   - gateway.networking.k8s.io v1 and v1beta1: GatewayClass, Gateway, HTTPRoute,
//     ReferenceGrant (v1beta1 objects are converted to v1, as the API server does with
//     conversion strategy None);
//   - turnpike.dev/v1alpha1: RateLimitPolicy, AuthPolicy;
//   - v1: Service, Secret, Namespace; discovery.k8s.io/v1: EndpointSlice.
//
// # How strictly
//
// As an API server would where it matters. Decoding is strict: unknown and duplicate
// fields are errors. Gateway API and Turnpike objects go through the code of
// k8s.io/apiextensions-apiserver with the CRD schemas embedded from config/crd:
// pruning (to find unknown fields), structural defaulting, OpenAPI schema validation,
// list-type validation and the CRDs' x-kubernetes-validations CEL rules. Each load is
// validated as a create, so transition rules (those reading oldSelf) do not apply: a
// file edit replaces the object, and the compiler rebuilds everything from scratch.
// Core kinds get focused checks and the defaults the compiler relies on (names, ports
// and protocols, EndpointSlice address types and IPs, Secret types and keys).
// Unlike the API server, EndpointSlice addresses may be loopback: on a laptop the
// backends usually are.
//
// Server-set metadata in the files (uid, resourceVersion, generation,
// creationTimestamp, managedFields, status) is ignored, so `kubectl get -o yaml`
// output can be used as is. Namespaced objects without a namespace go to "default";
// every namespace in use exists as a Namespace object (with the
// kubernetes.io/metadata.name label, like in a cluster) even if no file declares it.
//
// # Loses nothing
//
// Source keeps state between loads, with the semantics of `kubectl apply` against an
// API server: an invalid new version of an object is rejected and its last good
// version stays; a file that cannot be parsed keeps every object it last contributed
// (as does a file with a document whose kind or name cannot be told, since its objects
// cannot be told apart); a deleted file, or an object removed from a file that parses,
// removes those objects. An object defined twice is an error naming both places; the
// first definition in path order is used.
//
// Objects get a uid derived from their kind, namespace and name, generation 1 that is
// bumped whenever anything but metadata and status changes, and a creationTimestamp
// from the first load that saw them, kept across reloads so route precedence is
// stable.
//
// # Hot reload
//
// Watch notices changes through fsnotify on the whole tree and a periodic rescan
// (every 2 s) that compares content hashes. A change is loaded once two scans about
// 100 ms apart agree on it: one save is one reload, and a file caught halfway through
// a write (truncated, partly written) is not loaded unless it stays that way.
//
// # Cost
//
// Validation (the CRD schema and CEL rules above all) is most of the cost of a
// load, so documents are decoded on one goroutine per CPU while the files are
// parsed, one document at a time: a document's YAML node tree (which gives errors
// their lines) is garbage once its errors are made. A reload decodes only the
// document texts it has not decoded cleanly before: editing one route of a file of
// 10,000 validates one route, and a document that moves keeps its object. Each
// object in use is kept once: the decode cache and the Input share it.
//
// # Errors
//
// Every problem found in a file is an *Error naming the file, line, document, object
// and field, e.g.
//
//	routes.yaml:14 (document 2, HTTPRoute default/web): spec.rules[0].matches[0].path.type: Unsupported value: "Foo": supported values: "Exact", "PathPrefix", "RegularExpression"
//
// # API
//
//	Load(dir) (compiler.Input, []error)  one-shot load
//	Check(dir) []error                   one-shot validation for --check
//	NewSource(dir, log) *Source          stateful source for hot reload
//	(*Source).Reload() (compiler.Input, []error)
//	(*Source).Watch(ctx, onChange) error fsnotify plus a periodic rescan
//
// The returned Input leaves ControllerName and Binder empty for the caller to set. Its
// objects are shared between loads when unchanged and must be treated as read-only.
package standalone
