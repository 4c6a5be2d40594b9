package standalone

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
)

// decodedDocument is one document whose object identity is known: the object if it
// is valid, else the reasons it is not.
type decodedDocument struct {
	place docPlace
	// text is the document text it was decoded from.
	text docText
	key  objectKey
	// obj is nil when the document was rejected. Once the Source uses the object,
	// obj is the object in use, stamped with server fields (see Source.stamp), so
	// that a cached document and the object in use are one copy, not two.
	obj object
	// inUse tells that obj has been handed out in an Input and must not be
	// modified any more.
	inUse bool
	errs  []error
	// contentHash covers everything a user wrote (after defaulting); specHash leaves
	// out metadata, so that only a spec change bumps the generation.
	contentHash, specHash [sha256.Size]byte
}

// decodeDocument turns one document into a typed, defaulted and validated object.
// It returns an error only when the document's identity cannot be told.
func decodeDocument(doc rawDocument) (*decodedDocument, error) {
	place := doc.place
	gvk, rules, key, err := identify(&place, doc.content)
	if err != nil {
		return nil, err
	}
	place.object = key.String()
	// Every error about the document is made here; later ones (duplicate
	// definitions) name the document's first line only. Keeping the line index
	// would keep the document's parse tree alive as long as the object.
	decoded := &decodedDocument{place: place, text: doc.text, key: key}
	decoded.place.lines = nil
	for _, path := range doc.duplicateFields {
		decoded.errs = append(decoded.errs, place.fieldError(path, "duplicate field"))
	}

	var obj object
	var errs []error
	if rules.fromCRD {
		obj, errs = decodeCustomResource(&place, gvk, doc.content)
	} else {
		obj, errs = decodeCoreObject(&place, gvk, rules, doc.content)
	}
	decoded.errs = append(decoded.errs, errs...)
	if obj == nil {
		return decoded, nil
	}
	clearServerFields(obj, key)
	decoded.errs = append(decoded.errs, place.fieldErrors(apivalidation.ValidateObjectMetaAccessor(
		obj, rules.namespaced, rules.nameRule, field.NewPath("metadata")))...)
	if len(decoded.errs) > 0 {
		return decoded, nil
	}
	decoded.obj = toV1(obj)
	decoded.contentHash, decoded.specHash, err = objectHashes(decoded.obj)
	if err != nil {
		decoded.obj = nil
		decoded.errs = append(decoded.errs, place.errorf("cannot encode the decoded object: %v", err))
	}
	return decoded, nil
}

// movedTo returns the document as found again, with the same text, in file as
// document number document: the same object (see knownTexts) at the new place.
func (d *decodedDocument) movedTo(file string, document int, text docText) *decodedDocument {
	moved := *d
	moved.place.file, moved.place.document = file, document
	moved.place.line = text.startLine + d.place.line - d.text.startLine
	moved.text = text
	// The object may be in use, or be another document's to stamp: Source.stamp
	// must copy it before stamping it for this one.
	moved.inUse = true
	return &moved
}

// decodeTyped decodes content into its Go type with the strict codec. Unknown and
// duplicate fields are returned as errors alongside the object.
func decodeTyped(place *docPlace, gvk schema.GroupVersionKind, content map[string]any) (object, []error) {
	data, err := json.Marshal(content)
	if err != nil {
		return nil, []error{place.errorf("cannot encode the document as JSON: %v", err)}
	}
	decoded, _, err := strictCodec.Decode(data, &gvk, nil)
	var errs []error
	if strictErr, ok := runtime.AsStrictDecodingError(err); ok {
		for _, cause := range strictErr.Errors() {
			var fieldErr kjson.FieldError
			if errors.As(cause, &fieldErr) {
				errs = append(errs, place.fieldError(fieldErr.FieldPath(), "unknown field"))
			} else {
				errs = append(errs, place.errorf("%v", cause))
			}
		}
	} else if err != nil {
		return nil, []error{place.errorf("cannot decode into %s: %v", gvk.Kind, err)}
	}
	obj, ok := decoded.(object)
	if !ok {
		return nil, append(errs, place.errorf("decoded %T, which has no object metadata", decoded))
	}
	return obj, errs
}

// decodeCoreObject decodes a built-in kind strictly, then does what its API server
// strategy does on create: reset status, default, validate.
func decodeCoreObject(place *docPlace, gvk schema.GroupVersionKind, rules *kindRules, content map[string]any) (object, []error) {
	if rules.checkContent != nil {
		if errs := rules.checkContent(content); len(errs) > 0 {
			return nil, place.fieldErrors(errs)
		}
	}
	obj, errs := decodeTyped(place, gvk, content)
	if obj == nil {
		return nil, errs
	}
	if service, ok := obj.(*corev1.Service); ok {
		service.Status = corev1.ServiceStatus{}
	}
	rules.setDefaults(obj)
	return obj, append(errs, place.fieldErrors(rules.validate(obj))...)
}

// clearServerFields drops metadata only the API server may set, so that
// `kubectl get -o yaml` output loads as is, and sets the namespace from the key
// (defaulted, or cleared for cluster-scoped kinds).
func clearServerFields(obj object, key objectKey) {
	obj.SetNamespace(key.Namespace)
	obj.SetUID("")
	obj.SetResourceVersion("")
	obj.SetGeneration(0)
	obj.SetCreationTimestamp(metav1.Time{})
	obj.SetDeletionTimestamp(nil)
	obj.SetDeletionGracePeriodSeconds(nil)
	obj.SetManagedFields(nil)
	obj.SetSelfLink("")
}

// objectHashes hashes the object as decoded, and its non-metadata part: a change of
// the latter is what bumps metadata.generation.
func objectHashes(obj object) (content, spec [sha256.Size]byte, err error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return content, spec, fmt.Errorf("encoding %T: %w", obj, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return content, spec, fmt.Errorf("decoding %T: %w", obj, err)
	}
	delete(fields, "metadata")
	delete(fields, "status")
	specData, err := json.Marshal(fields) // map keys are sorted: stable
	if err != nil {
		return content, spec, fmt.Errorf("encoding %T: %w", obj, err)
	}
	return sha256.Sum256(data), sha256.Sum256(specData), nil
}
