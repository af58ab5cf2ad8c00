// PATCHED COPY for brandregistry — not FerretDB's original file.
// (The folder name starts with "_" so that `go build ./...` / `go vet ./...` in scripts/ferretdb skip it.)
//
// Replaces github.com/FerretDB/FerretDB@v1.24.2 internal/backends/sqlite/metadata/metadata.go
// at build time through `go build -overlay` (see ensureFerretDB in src/platform/local-mongo.ts;
// the build refuses to run if the original's SHA-256 differs from the one recorded there).
//
// Change (one line): IDColumn is `_ferretdb_sjson->'_id'` instead of `_ferretdb_sjson->'$._id'`.
// Why: the unique _id index is created in registry.go as `... ON t (_ferretdb_sjson->"_id")`, and
// SQLite only uses an expression index when the query's expression is the same expression. The
// original spelling never matched, so every `_id` lookup pushed down to SQL (find/findOne by _id,
// update by _id, delete by _id) scanned the whole table. `->'_id'` returns the same value as
// `->'$._id'` (a bare label X means '$.X'), and after parsing it is identical to the index's
// `->"_id"` (a double-quoted word that names no column is the string '_id'), so the planner now
// answers with SEARCH ... USING INDEX. The single-quoted form is used in the query so that it
// does not itself rely on SQLite's double-quoted-string fallback. The index definition is
// unchanged, so databases created by the unpatched binary get the speed-up too.
// Checked with EXPLAIN QUERY PLAN on modernc.org/sqlite v1.32.0 (FerretDB's version).

// Copyright 2021 FerretDB Inc.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Package metadata provides access to databases and collections information.
package metadata

import "github.com/FerretDB/FerretDB/internal/backends"

// Collection will probably have a method for getting column name / SQLite path expression for the given document field
// once we implement field extraction.
// IDColumn probably should go away.
// TODO https://github.com/FerretDB/FerretDB/issues/226

const (
	// DefaultColumn is a column name for all fields.
	DefaultColumn = backends.ReservedPrefix + "sjson"

	// IDColumn is a SQLite path expression for _id field.
	// Patched (brandregistry): was "->'$._id'", which never matched the _id index; see the header.
	IDColumn = DefaultColumn + "->'_id'"

	// RecordIDColumn is a name for RecordID column to store capped collection record id.
	RecordIDColumn = backends.ReservedPrefix + "record_id"
)

// Collection represents collection metadata.
//
// Collection value should be immutable to avoid data races.
// Use [deepCopy] to replace the whole value instead of modifying fields of existing value.
type Collection struct {
	Name      string
	TableName string
	Settings  Settings
}

// Capped returns true if collection is capped.
func (c Collection) Capped() bool {
	return c.Settings.CappedSize > 0
}

// deepCopy returns a deep copy.
func (c *Collection) deepCopy() *Collection {
	if c == nil {
		return nil
	}

	return &Collection{
		Name:      c.Name,
		TableName: c.TableName,
		Settings:  c.Settings.deepCopy(),
	}
}
