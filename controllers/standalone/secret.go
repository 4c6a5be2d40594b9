package standalone

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkSecretData reports data values that are not base64, with their key: the
// typed decoder would only say that some value is not.
func checkSecretData(content map[string]any) field.ErrorList {
	data, ok := content["data"].(map[string]any)
	if !ok {
		return nil // absent, or a type error the decoder reports
	}
	dataPath := field.NewPath("data")
	var errs field.ErrorList
	for _, key := range slices.Sorted(maps.Keys(data)) {
		value, ok := data[key].(string)
		if !ok {
			continue // null or a type error the decoder reports
		}
		if _, err := base64.StdEncoding.DecodeString(value); err != nil {
			errs = append(errs, field.Invalid(dataPath.Key(key), "<secret contents redacted>", "must be base64-encoded: "+err.Error()))
		}
	}
	return errs
}

// defaultSecret merges stringData into data, as the API server does on write, and
// defaults the type to Opaque.
func defaultSecret(secret *corev1.Secret) {
	if secret.Type == "" {
		secret.Type = corev1.SecretTypeOpaque
	}
	if len(secret.StringData) > 0 && secret.Data == nil {
		secret.Data = make(map[string][]byte, len(secret.StringData))
	}
	for key, value := range secret.StringData {
		secret.Data[key] = []byte(value)
	}
	secret.StringData = nil
}

// validateSecret checks keys, size and the keys each well-known type requires
// (k8s.io/kubernetes pkg/apis/core/validation ValidateSecret).
func validateSecret(secret *corev1.Secret) field.ErrorList {
	dataPath := field.NewPath("data")
	var errs field.ErrorList
	total := 0
	for _, key := range slices.Sorted(maps.Keys(secret.Data)) {
		value := secret.Data[key]
		for _, msg := range validation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(dataPath.Key(key), key, msg))
		}
		total += len(value)
	}
	if total > corev1.MaxSecretSize {
		errs = append(errs, field.TooLong(dataPath, "", corev1.MaxSecretSize))
	}

	requireKey := func(key string) {
		if _, ok := secret.Data[key]; !ok {
			errs = append(errs, field.Required(dataPath.Key(key), "required for a Secret of type "+string(secret.Type)))
		}
	}
	requireJSON := func(key string) {
		requireKey(key)
		if value, ok := secret.Data[key]; ok && !json.Valid(value) {
			errs = append(errs, field.Invalid(dataPath.Key(key), "<secret contents redacted>", "must be valid JSON"))
		}
	}
	switch secret.Type {
	case corev1.SecretTypeTLS:
		requireKey(corev1.TLSCertKey)
		requireKey(corev1.TLSPrivateKeyKey)
	case corev1.SecretTypeBasicAuth:
		_, hasUser := secret.Data[corev1.BasicAuthUsernameKey]
		_, hasPassword := secret.Data[corev1.BasicAuthPasswordKey]
		if !hasUser && !hasPassword {
			errs = append(errs, field.Required(dataPath.Key(corev1.BasicAuthUsernameKey), "a username or a password is required for a Secret of type "+string(secret.Type)))
		}
	case corev1.SecretTypeSSHAuth:
		requireKey(corev1.SSHAuthPrivateKey)
	case corev1.SecretTypeDockercfg:
		requireJSON(corev1.DockerConfigKey)
	case corev1.SecretTypeDockerConfigJson:
		requireJSON(corev1.DockerConfigJsonKey)
	case corev1.SecretTypeServiceAccountToken:
		if secret.Annotations[corev1.ServiceAccountNameKey] == "" {
			errs = append(errs, field.Required(field.NewPath("metadata", "annotations").Key(corev1.ServiceAccountNameKey), ""))
		}
	}
	return errs
}

// defaultNamespace does what the API server does on create: label the namespace
// with its own name (so that selectors can pick it) and make it Active.
func defaultNamespace(namespace *corev1.Namespace) {
	labels := make(map[string]string, len(namespace.Labels)+1)
	for key, value := range namespace.Labels {
		labels[key] = value
	}
	labels[corev1.LabelMetadataName] = namespace.Name
	namespace.Labels = labels
	namespace.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
}
