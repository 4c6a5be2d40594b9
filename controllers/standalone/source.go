package standalone

import (
	"crypto/sha256"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// Log messages.
const (
	msgLoaded           = "Loaded configuration directory"
	msgKeepingLastGood  = "Keeping the last good version of an object"
	msgWatcherError     = "File watcher error; relying on the periodic rescan"
	msgConfigDirProblem = "Cannot read the configuration directory; keeping the objects loaded before"
)

// Source loads a config directory again and again, keeping what it loaded before
// where the new content is broken (see the package documentation). It is safe for
// concurrent use.
type Source struct {
	dir string
	log logr.Logger
	// now is the clock for creationTimestamp.
	now func() time.Time
	// debounce is how long Watch waits after a file event for more of them.
	debounce time.Duration
	// rescanInterval is how often Watch rescans whether or not events came.
	rescanInterval time.Duration

	mu sync.Mutex
	// loaded is set after the first successful scan.
	loaded bool
	// fingerprint is the content hash of each file at the last load.
	fingerprint map[string][sha256.Size]byte
	// decoded caches each file's decode result for the content it had.
	decoded map[string]*cachedFile
	// objects are the versions in use, by identity.
	objects map[objectKey]*storedObject
	// fileObjects are the keys each file contributed at the last load.
	fileObjects map[string][]objectKey
	// implicitNamespaces are Namespaces in use that no file declares.
	implicitNamespaces map[string]*storedObject
	// errs are the errors of the last load.
	errs []error
	// revision numbers resourceVersions: one per stored change.
	revision uint64
}

type cachedFile struct {
	hash   [sha256.Size]byte
	result *fileResult
}

// storedObject is a version in use, stamped with server-set metadata.
type storedObject struct {
	obj                   object
	contentHash, specHash [sha256.Size]byte
}

// NewSource returns a Source for the config directory dir. Nothing is read until
// Reload or Watch.
func NewSource(dir string, log logr.Logger) *Source {
	return &Source{
		dir:                dir,
		log:                log,
		now:                time.Now,
		debounce:           100 * time.Millisecond,
		rescanInterval:     2 * time.Second,
		fingerprint:        map[string][sha256.Size]byte{},
		decoded:            map[string]*cachedFile{},
		objects:            map[objectKey]*storedObject{},
		fileObjects:        map[string][]objectKey{},
		implicitNamespaces: map[string]*storedObject{},
	}
}

// Reload reads the directory and returns the objects now in use and every problem
// found. Problems never remove objects that were good before (see the package
// documentation); if the directory itself cannot be read, everything loaded before
// stays.
func (s *Source) Reload() (compiler.Input, []error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	scan, err := scanDir(s.dir)
	if err != nil {
		s.log.Error(err, msgConfigDirProblem, "dir", s.dir)
		return s.input(), []error{err}
	}
	s.apply(scan)
	return s.input(), s.errs
}

// fileHash identifies a file's content, or its read error.
func fileHash(f sourceFile) [sha256.Size]byte {
	if f.readErr != nil {
		return sha256.Sum256([]byte("\x00read error: " + f.readErr.Error()))
	}
	return sha256.Sum256(f.data)
}

// scanFingerprint identifies the content of a scan, file by file.
func scanFingerprint(scan dirScan) map[string][sha256.Size]byte {
	fingerprint := make(map[string][sha256.Size]byte, len(scan.files))
	for _, f := range scan.files {
		fingerprint[f.path] = fileHash(f)
	}
	return fingerprint
}

// apply makes a scan the current state. The caller holds s.mu.
func (s *Source) apply(scan dirScan) {
	results := make([]*fileResult, len(scan.files))
	decoded := make(map[string]*cachedFile, len(scan.files))
	fingerprint := make(map[string][sha256.Size]byte, len(scan.files))
	var changed []sourceFile
	var changedAt []int
	for i, f := range scan.files {
		hash := fileHash(f)
		fingerprint[f.path] = hash
		if cached := s.decoded[f.path]; cached != nil && cached.hash == hash && f.readErr == nil {
			decoded[f.path], results[i] = cached, cached.result
			continue
		}
		changed, changedAt = append(changed, f), append(changedAt, i)
	}
	var known knownTexts
	if len(changed) > 0 {
		known = s.knownTexts()
	}
	for j, result := range decodeFiles(changed, known) {
		f := changed[j]
		if previous := s.decoded[f.path]; result.unparseable && previous != nil {
			// A file caught with a typo keeps what it last decoded for reuse,
			// so that fixing the typo does not validate the whole file again.
			result.reusable = previous.result.reusable
		}
		decoded[f.path], results[changedAt[j]] = &cachedFile{hash: fingerprint[f.path], result: result}, result
	}
	var errs []error
	for _, result := range results {
		errs = append(errs, result.errs...)
	}

	next := make(map[objectKey]*storedObject)
	nextFileObjects := make(map[string][]objectKey)
	claims := make(map[objectKey]*decodedDocument)
	for _, result := range results {
		if result.unparseable {
			continue
		}
		for _, doc := range result.docs {
			if first := claims[doc.key]; first != nil {
				errs = append(errs, doc.place.errorf("%s is already defined in %s; this definition is ignored",
					doc.key, first.place.ref()))
				continue
			}
			claims[doc.key] = doc
			stored := s.objects[doc.key]
			if doc.obj != nil {
				stored = s.stamp(doc, stored)
			} else if stored != nil {
				s.log.V(1).Info(msgKeepingLastGood, "object", doc.key.String(), "file", result.file)
			}
			if stored != nil {
				next[doc.key] = stored
				nextFileObjects[result.file] = append(nextFileObjects[result.file], doc.key)
			}
		}
	}
	// Files that cannot be read in full keep what they contributed before and no
	// longer define recognisably.
	for _, result := range results {
		if !result.unparseable && !result.incomplete {
			continue
		}
		for _, key := range s.fileObjects[result.file] {
			stored := s.objects[key]
			if claims[key] != nil || next[key] != nil || stored == nil {
				continue
			}
			s.log.V(1).Info(msgKeepingLastGood, "object", key.String(), "file", result.file)
			next[key] = stored
			nextFileObjects[result.file] = append(nextFileObjects[result.file], key)
		}
	}

	s.objects, s.fileObjects, s.decoded, s.fingerprint = next, nextFileObjects, decoded, fingerprint
	s.errs, s.loaded = errs, true
	s.updateImplicitNamespaces()
	s.log.V(1).Info(msgLoaded, "dir", s.dir, "files", len(scan.files), "objects", len(next), "errors", len(errs))
}

// knownTexts collects the reusable documents of the last load. The caller holds
// s.mu.
func (s *Source) knownTexts() knownTexts {
	known := knownTexts{}
	for _, cached := range s.decoded {
		for hash, docs := range cached.result.reusable {
			if known[hash] == nil {
				known[hash] = docs
			}
		}
	}
	return known
}

// stamp returns the stored version for a valid document: the previous one if
// nothing changed, else the document's object with uid, resourceVersion,
// generation and creationTimestamp set as the API server would. Either way the
// document then points at the stored object, so that the decode cache holds no
// second copy of the objects in use (a reload of a changed file would otherwise
// keep one for every unchanged object in it). The caller holds s.mu.
func (s *Source) stamp(doc *decodedDocument, previous *storedObject) *storedObject {
	if previous != nil && previous.contentHash == doc.contentHash {
		doc.obj, doc.inUse = previous.obj, true
		return previous
	}
	obj := doc.obj
	if doc.inUse {
		// Handed out before (and displaced since, by a definition that has gone
		// again), or shared with the document of a reused text: an Input may
		// hold it, and Inputs are read-only. Every server field is set again
		// below, so the copy's old ones do not matter.
		obj = obj.DeepCopyObject().(object)
	}
	generation := int64(1)
	created := metav1.NewTime(s.now().Truncate(time.Second))
	if previous != nil {
		generation = previous.obj.GetGeneration()
		if previous.specHash != doc.specHash {
			generation++
		}
		created = previous.obj.GetCreationTimestamp()
	}
	s.setServerFields(obj, doc.key, generation, created)
	doc.obj, doc.inUse = obj, true
	return &storedObject{obj: obj, contentHash: doc.contentHash, specHash: doc.specHash}
}

// setServerFields sets what the API server sets on write. The caller holds s.mu.
func (s *Source) setServerFields(obj object, key objectKey, generation int64, created metav1.Time) {
	s.revision++
	obj.SetUID(uidFor(key))
	obj.SetResourceVersion(strconv.FormatUint(s.revision, 10))
	obj.SetGeneration(generation)
	obj.SetCreationTimestamp(created)
}
