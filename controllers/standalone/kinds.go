package standalone

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	serializerjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwapiv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
)

// object is what every served kind is.
type object interface {
	runtime.Object
	metav1.Object
}

// objectKey is the identity of an object, the same across API versions.
type objectKey struct {
	schema.GroupKind
	Namespace string
	Name      string
}

// String formats as "HTTPRoute default/web", or "GatewayClass turnpike" when
// cluster-scoped.
func (k objectKey) String() string {
	if k.Namespace == "" {
		return k.Kind + " " + k.Name
	}
	return k.Kind + " " + k.Namespace + "/" + k.Name
}

// kindRules says how one served kind is decoded, defaulted and validated.
type kindRules struct {
	namespaced bool
	// nameRule validates metadata.name, as the API server's strategy for the kind.
	nameRule apivalidation.ValidateNameFunc
	// fromCRD marks the kinds of CRDs (the Gateway API's and Turnpike's): their
	// defaults and validation come from the embedded CRD schema.
	fromCRD bool
	// checkContent runs before typed decoding, to name the field of errors the
	// decoder would report without one (core kinds only; may be nil).
	checkContent func(map[string]any) field.ErrorList
	// setDefaults fills the defaults the API server would (core kinds only).
	setDefaults func(object)
	// validate runs the focused checks of a core kind.
	validate func(object) field.ErrorList
}

var (
	gatewayRules = &kindRules{namespaced: true, nameRule: apivalidation.NameIsDNSSubdomain, fromCRD: true}
	classRules   = &kindRules{nameRule: apivalidation.NameIsDNSSubdomain, fromCRD: true}
)

// servedKinds are the API versions and kinds a config directory may hold.
var servedKinds = map[schema.GroupVersionKind]*kindRules{
	gwapiv1.SchemeGroupVersion.WithKind("GatewayClass"):        classRules,
	gwapiv1.SchemeGroupVersion.WithKind("Gateway"):             gatewayRules,
	gwapiv1.SchemeGroupVersion.WithKind("HTTPRoute"):           gatewayRules,
	gwapiv1.SchemeGroupVersion.WithKind("ReferenceGrant"):      gatewayRules,
	gwapiv1beta1.SchemeGroupVersion.WithKind("GatewayClass"):   classRules,
	gwapiv1beta1.SchemeGroupVersion.WithKind("Gateway"):        gatewayRules,
	gwapiv1beta1.SchemeGroupVersion.WithKind("HTTPRoute"):      gatewayRules,
	gwapiv1beta1.SchemeGroupVersion.WithKind("ReferenceGrant"): gatewayRules,
	tpv1a1.GroupVersion.WithKind("RateLimitPolicy"):            gatewayRules,
	tpv1a1.GroupVersion.WithKind("AuthPolicy"):                 gatewayRules,
	corev1.SchemeGroupVersion.WithKind("Service"): {
		namespaced: true, nameRule: apivalidation.NameIsDNS1035Label,
		setDefaults: func(o object) { defaultService(o.(*corev1.Service)) },
		validate:    func(o object) field.ErrorList { return validateService(o.(*corev1.Service)) },
	},
	corev1.SchemeGroupVersion.WithKind("Secret"): {
		namespaced: true, nameRule: apivalidation.NameIsDNSSubdomain,
		checkContent: checkSecretData,
		setDefaults:  func(o object) { defaultSecret(o.(*corev1.Secret)) },
		validate:     func(o object) field.ErrorList { return validateSecret(o.(*corev1.Secret)) },
	},
	corev1.SchemeGroupVersion.WithKind("Namespace"): {
		nameRule:    apivalidation.NameIsDNSLabel,
		setDefaults: func(o object) { defaultNamespace(o.(*corev1.Namespace)) },
		validate:    func(object) field.ErrorList { return nil },
	},
	discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice"): {
		namespaced: true, nameRule: apivalidation.NameIsDNSSubdomain,
		setDefaults: func(o object) { defaultEndpointSlice(o.(*discoveryv1.EndpointSlice)) },
		validate:    func(o object) field.ErrorList { return validateEndpointSlice(o.(*discoveryv1.EndpointSlice)) },
	},
}

// servedKindList is the user-facing list of served kinds, for error messages.
var servedKindList = func() string {
	var names []string
	for gvk := range servedKinds {
		names = append(names, gvk.GroupVersion().String()+" "+gvk.Kind)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}()

// scheme knows every served type; the codec built on it decodes strictly, so unknown
// and duplicate fields are errors as with `kubectl apply --validate=strict`.
var (
	scheme       = newScheme()
	strictCodec  = serializerjson.NewSerializerWithOptions(serializerjson.DefaultMetaFactory, scheme, scheme, serializerjson.SerializerOptions{Strict: true})
	namespaceGVK = corev1.SchemeGroupVersion.WithKind("Namespace")
)

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(gwapiv1.Install(s))
	utilruntime.Must(gwapiv1beta1.Install(s))
	utilruntime.Must(tpv1a1.AddToScheme(s))
	return s
}

// toV1 converts Gateway API v1beta1 objects to v1. The CRDs use conversion strategy
// None and the v1beta1 Go types are the v1 types under another name, so this is what
// the API server does: relabel the apiVersion.
func toV1(obj object) object {
	var converted object
	switch o := obj.(type) {
	case *gwapiv1beta1.GatewayClass:
		converted = (*gwapiv1.GatewayClass)(o)
	case *gwapiv1beta1.Gateway:
		converted = (*gwapiv1.Gateway)(o)
	case *gwapiv1beta1.HTTPRoute:
		converted = (*gwapiv1.HTTPRoute)(o)
	case *gwapiv1beta1.ReferenceGrant:
		converted = (*gwapiv1.ReferenceGrant)(o)
	default:
		return obj
	}
	gvk := converted.GetObjectKind().GroupVersionKind()
	converted.GetObjectKind().SetGroupVersionKind(gwapiv1.SchemeGroupVersion.WithKind(gvk.Kind))
	return converted
}

// identify reads apiVersion, kind and name from unstructured content, defaulting the
// namespace. It fails when the document cannot be told apart from others.
func identify(place *docPlace, content map[string]any) (schema.GroupVersionKind, *kindRules, objectKey, error) {
	apiVersion, _ := content["apiVersion"].(string)
	kind, _ := content["kind"].(string)
	switch {
	case apiVersion == "":
		return schema.GroupVersionKind{}, nil, objectKey{}, place.fieldError("apiVersion", "Required value: must be a string naming the API version")
	case kind == "":
		return schema.GroupVersionKind{}, nil, objectKey{}, place.fieldError("kind", "Required value: must be a string naming the kind")
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return schema.GroupVersionKind{}, nil, objectKey{}, place.fieldError("apiVersion", fmt.Sprintf("Invalid value: %q: %v", apiVersion, err))
	}
	gvk := gv.WithKind(kind)
	rules := servedKinds[gvk]
	if rules == nil {
		return gvk, nil, objectKey{}, place.errorf("no kind %q in version %q is served in standalone mode; served: %s", kind, apiVersion, servedKindList)
	}
	metadata, _ := content["metadata"].(map[string]any)
	name, _ := metadata["name"].(string)
	if name == "" {
		place.object = kind // at least say what it is
		return gvk, nil, objectKey{}, place.fieldError("metadata.name", "Required value: name is required")
	}
	key := objectKey{GroupKind: gvk.GroupKind(), Name: name}
	if rules.namespaced {
		key.Namespace, _ = metadata["namespace"].(string)
		if key.Namespace == "" {
			key.Namespace = metav1.NamespaceDefault
		}
	}
	return gvk, rules, key, nil
}
