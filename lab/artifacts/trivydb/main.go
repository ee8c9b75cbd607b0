// trivydb writes the lab's Trivy vulnerability database: one Debian advisory for the lab's scan-target test
// package, written with trivy-db itself (the library Trivy reads it with), so a scan finds exactly one known
// vulnerability with no network. Usage: trivydb DIR RELEASE UPDATED_AT (writes DIR/trivy.db and DIR/metadata.json;
// RELEASE is the Debian major the advisory is for, UPDATED_AT an RFC 3339 time: the build passes the trivy-db
// module's date, so the same inputs give the same database). lab/artifacts/builder/scanning.py builds and runs it.
package main

import (
	"log"
	"os"
	"time"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/metadata"
	"github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/bucket"
	bolt "go.etcd.io/bbolt"
)

// The advisory: the scan-target package at a version below FixedVersion is vulnerable. The ID is the lab's own,
// so it can never be mistaken for a real CVE.
const (
	sourcePkg    = "caas-scan-target"
	advisoryID   = "CAAS-LAB-0001"
	fixedVersion = "1.0-2"
)

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: trivydb DIR RELEASE UPDATED_AT")
	}
	dir, release := os.Args[1], os.Args[2]
	updatedAt, err := time.Parse(time.RFC3339, os.Args[3])
	if err != nil {
		log.Fatal(err)
	}
	if err := db.Init(dir); err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	platform := bucket.NewDebian(release).Name()
	dbc := db.Config{}
	err = dbc.BatchUpdate(func(tx *bolt.Tx) error {
		if err := dbc.PutDataSource(tx, platform, types.DataSource{ID: "debian", Name: "caas.platform lab"}); err != nil {
			return err
		}
		if err := dbc.PutAdvisory(tx, []string{platform, sourcePkg}, advisoryID, types.Advisory{FixedVersion: fixedVersion}); err != nil {
			return err
		}
		return dbc.PutVulnerability(tx, advisoryID, types.Vulnerability{
			Title: "caas.platform lab test advisory", Severity: "HIGH"})
	})
	if err != nil {
		log.Fatal(err)
	}
	// Trivy refuses --skip-db-update with a DB whose Version is not its SchemaVersion; NextUpdate far ahead keeps
	// an offline scan from wanting a newer one.
	updatedAt = updatedAt.UTC()
	meta := metadata.Metadata{Version: db.SchemaVersion, NextUpdate: updatedAt.AddDate(10, 0, 0), UpdatedAt: updatedAt}
	if err := metadata.NewClient(dir).Update(meta); err != nil {
		log.Fatal(err)
	}
}
