package compiler

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// The auth of a route is decided by the fold every policy kind shares
// (policychain.go). AuthPolicies merge rule by rule within each section:
//
//	authentication.<name>                    one authenticator
//	authorization.<name>                     one authorizer
//	response.unauthenticated                 the 401 answer
//	response.unauthorized                    the 403 answer
//	response.success.headers.<name>          one header sent upstream
//	response.success.filters.identity.<key>  one property added to auth.identity
//
// so atomic replaces all of them and merge replaces those of the same name. Each
// rule keeps its own policy's `when` (AuthRule.PolicyWhen, SuccessHeader.When);
// identity properties apply whenever the request authenticates.

func (p *authPolicyState) state() *policyState { return &p.policyState }

func (p *authPolicyState) mergeMode() (bool, tpv1a1.MergeStrategy) { return p.overrides, p.strategy }

func (p *authPolicyState) ruleNames() []string { return p.names }

// applyAuthPolicies sets the Auth of every served route to the effective rules of
// its chain, records on each policy what it did where, and asks TLS clients for a
// certificate on the listeners where a route authenticates with x509.
func (c *compiler) applyAuthPolicies() {
	chains := newPolicyChains(c.authPolicies)
	if chains.empty() {
		return
	}
	// Routes of one chain usually end up with the same rules: they share one Auth.
	shared := map[string]*snapshot.Auth{}
	c.rewriteServedMatches(func(l *listenerState, m *compiledMatch) *compiledMatch {
		chain := chains.chain(l, m)
		if len(chain) == 0 {
			return m
		}
		owners := effectiveOwners(chain)
		recordChainOutcome(chain, owners, l)
		key := ownersKey(owners)
		auth, ok := shared[key]
		if !ok {
			auth = buildAuth(owners)
			shared[key] = auth
		}
		if auth.Invalid != "" {
			noteFailingClosed(owners, l)
		}
		c.requestClientCertificate(l, owners, auth)
		return m.withAuth(auth)
	})
}

// ownersKey identifies an effective rule set: its rule names and their policies.
func ownersKey(owners map[string]*authPolicyState) string {
	var b strings.Builder
	for _, name := range sortedKeys(owners) {
		b.WriteString(name + "=" + owners[name].key.String() + "\n")
	}
	return b.String()
}

// buildAuth puts the effective rules in the order the data plane runs them. Where
// a policy that fails closed is in force, the other rules do not matter: the route
// refuses every request.
func buildAuth(owners map[string]*authPolicyState) *snapshot.Auth {
	if owner, ok := owners[invalidRuleName]; ok {
		return invalidAuth(owner)
	}
	auth := &snapshot.Auth{}
	for _, name := range sortedKeys(owners) {
		rule := owners[name].rules[name]
		switch {
		case rule.authenticator != nil:
			auth.Authentication = append(auth.Authentication, rule.authenticator)
		case rule.authorizer != nil:
			auth.Authorization = append(auth.Authorization, rule.authorizer)
		case rule.unauthenticated != nil:
			auth.Unauthenticated = rule.unauthenticated
		case rule.unauthorized != nil:
			auth.Unauthorized = rule.unauthorized
		case rule.successHeader != nil:
			auth.SuccessHeaders = append(auth.SuccessHeaders, rule.successHeader)
		case rule.identityExtra != nil:
			auth.IdentityExtras = append(auth.IdentityExtras, rule.identityExtra)
		}
	}
	slices.SortFunc(auth.Authentication, func(a, b *snapshot.Authenticator) int { return compareAuthRules(&a.AuthRule, &b.AuthRule) })
	slices.SortFunc(auth.Authorization, func(a, b *snapshot.Authorizer) int { return compareAuthRules(&a.AuthRule, &b.AuthRule) })
	slices.SortFunc(auth.SuccessHeaders, func(a, b *snapshot.SuccessHeader) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Name, b.Name))
	})
	slices.SortFunc(auth.IdentityExtras, func(a, b *snapshot.NamedValue) int { return cmp.Compare(a.Name, b.Name) })
	return auth
}

// noteFailingClosed tells the valid policies whose rules are in force next to
// those of a policy that fails closed (merge strategies) that the route refuses
// every request anyway, so that their Enforced message does not look like the
// whole truth.
func noteFailingClosed(owners map[string]*authPolicyState, l *listenerState) {
	invalid := owners[invalidRuleName]
	for _, owner := range owners {
		if owner != invalid {
			owner.onGateway(l.gateway.key).notes[fmt.Sprintf(
				"On some routes of listener %q of Gateway %s, it is merged with AuthPolicy %s, which is invalid, so they answer every request with 500 until that is fixed",
				l.spec.Name, l.gateway.key, invalid.key)] = true
		}
	}
}

// compareAuthRules orders rules by priority, then policy, then name.
func compareAuthRules(a, b *snapshot.AuthRule) int {
	return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Name, b.Name))
}

// requestClientCertificate makes an HTTPS listener ask for client certificates
// when a route on it authenticates with x509. On a cleartext listener no
// certificate can be presented, so the rule can never succeed there: the policy
// stays Accepted (the same policy may serve HTTPS listeners too), and its Enforced
// message says so.
func (c *compiler) requestClientCertificate(l *listenerState, owners map[string]*authPolicyState, auth *snapshot.Auth) {
	for _, authenticator := range auth.Authentication {
		if authenticator.X509 == nil {
			continue
		}
		if socket := c.sockets[l.socketKey]; socket != nil && socket.Protocol == snapshot.ProtocolHTTPS {
			l.served.RequestClientCertificate = true
			continue
		}
		ruleName := "authentication." + authenticator.Name
		owners[ruleName].onGateway(l.gateway.key).notes[fmt.Sprintf(
			"Listener %q of Gateway %s is not HTTPS, so no client certificate can be presented there and rule %q cannot succeed on it",
			l.spec.Name, l.gateway.key, ruleName)] = true
	}
}

// withAuth returns a copy of the match whose route carries auth. The route is
// copied shallowly: everything but Auth stays shared and immutable.
func (m *compiledMatch) withAuth(auth *snapshot.Auth) *compiledMatch {
	route := *m.route
	route.Auth = auth
	copied := *m
	copied.route = &route
	return &copied
}
