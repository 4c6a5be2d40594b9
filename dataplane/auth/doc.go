// Package auth enforces AuthPolicy in the data plane: it decides, per request,
// whether a route's authentication and authorization rules let the request
// through, and how the refusal looks when they do not.
//
// It sits between routing and rate limiting:
//
//	snapshot.Auth (compiled by the compiler, immutable)
//	  -> Runtime.Plan (once per route and snapshot: predicates, challenges, counters)
//	  -> Plan.Decide (per request) -> Allowed | Denied (401, 403) | Unavailable (503)
//
// The Runtime holds what must outlive a snapshot swap, keyed by stable
// identities: the key sets of JWT issuers (by discovery or JWKS URL) with their
// cache of verified tokens, the answers of introspection endpoints, and the
// decision counters (by policy, rule and outcome). Key sets are fetched and
// refreshed in background goroutines; the request path only ever fetches when a
// token names a key the set does not hold (at most once per
// RuntimeOptions.MinRefetchInterval), or waits for a fetch already under way.
//
// # Decisions
//
// A rule whose policy-level `when` is false is out of scope. When no
// authenticator is in scope the request needs no credentials. Otherwise the
// authenticators in scope whose own `when` holds are tried in order and the
// first that succeeds sets auth.identity; when none does the answer is 401 (or
// 503 when one of them could not check a credential the request carries). Every
// authorizer in scope whose `when` holds must then allow, or the answer is 403.
// An evaluation error of a `when` counts as false, of an authorization condition
// as a denial.
//
// Identities are read-only maps shared between requests: the claims of a
// verified token (cached), an API key's identity (from the snapshot), an
// introspection answer (cached). IdentityExtras are merged into a copy. JSON
// numbers in claims and introspection answers are int64 when they are integers
// that fit, float64 otherwise, so that CEL compares `auth.identity.exp` and
// `auth.identity.level == 3` as integers.
//
// # Answers
//
// Refusals are RFC 9457 problem documents (package problem) and RFC 6750-style
// challenges. A 401 carries one WWW-Authenticate value per authenticator in
// scope:
//
//	Authorization header     <Prefix> realm="ns/policy/rule"            (Bearer, APIKEY, ...)
//	custom header            <Scheme> realm="ns/policy/rule", header="X-Api-Key"
//	query parameter          <Scheme> realm="ns/policy/rule", query="api_key"
//	cookie                   <Scheme> realm="ns/policy/rule", cookie="session"
//	client certificate       ClientCertificate realm="ns/policy/rule"
//
// where Scheme is "Bearer" for JWT and introspection and "APIKey" for API keys.
// An authenticator that refused the credential the request carried adds
// error="invalid_token" (JWT, introspection), error="invalid_key" (API key) or
// error="invalid_certificate" (x509), and an error_description in client terms;
// an expired credential says when it expired, in RFC 3339. A 403 whose failing
// condition names an OAuth scope carries error="insufficient_scope" and scope.
// Bodies and headers never carry the credential, key material or claims.
//
// # Counters
//
// Decisions counts every evaluation of a rule: an authenticator tried for a
// request counts one of authenticated, anonymous, credential-missing,
// credential-invalid, credential-expired or unavailable; an authorizer checked
// counts allowed or forbidden. Rules not reached (after the first authenticator
// that succeeded, after the first authorizer that denied, out of scope, or whose
// `when` is false) are not counted.
package auth
