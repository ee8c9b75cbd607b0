// trivydb writes the lab's Trivy vulnerability database: one Debian 12 advisory for the lab's scan-target test
// package, written with trivy-db itself (the library Trivy reads it with), so a scan finds exactly one known
// vulnerability with no network. Usage: trivydb DIR (writes DIR/trivy.db and DIR/metadata.json).
// Not wired into lab/artifacts/build.py yet (docs/design/registry-build-plan.md, step 1).
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
	release      = "12"
	sourcePkg    = "caas-scan-target"
	advisoryID   = "CAAS-LAB-0001"
	fixedVersion = "1.0-2"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: trivydb DIR")
	}
	dir := os.Args[1]
	if err := db.Init(dir); err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	platform := bucket.NewDebian(release).Name()
	dbc := db.Config{}
	err := dbc.BatchUpdate(func(tx *bolt.Tx) error {
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
	now := time.Now().UTC().Truncate(time.Second)
	meta := metadata.Metadata{Version: db.SchemaVersion, NextUpdate: now.AddDate(1, 0, 0), UpdatedAt: now}
	if err := metadata.NewClient(dir).Update(meta); err != nil {
		log.Fatal(err)
	}
}
