import Entitlements

extension CommunityDirectory {
    /// The text `hromada-keys show` prints: ids, roles, validity and status, never a secret.
    public func report(now: UnixTime) throws(CommunityKeysError) -> String {
        let manifest = try readManifest()
        let (rootKeyID, rootPublicKey) = try root()
        let certificates = try certificates()
        let revocations = try revocations()
        var lines: [String] = []
        lines.append("community   \(community)")
        lines.append("root key    \(rootKeyID)  public \(rootPublicKey)")
        lines.append("")
        lines.append("certified keys")
        var rows = [["KEY ID", "ROLE", "DEVICE", "LABEL", "VALID FROM", "VALID UNTIL", "STATUS"]]
        for certificate in certificates {
            let label = manifest.keys.first { $0.keyID == certificate.keyID.description }?.label ?? "-"
            let status: String
            if let revocation = revocations.revocation(of: certificate.keyID) {
                status = "revoked (\(revocation.reason.rawValue))"
            } else if certificate.issuerKeyID != rootKeyID {
                status = "not certified by this root"
            } else if now < certificate.notBefore {
                status = "not yet valid"
            } else if now > certificate.notAfter {
                status = "expired"
            } else {
                status = "active"
            }
            // A format 1 validator certificate names no device: say so, it needs re-certifying.
            let device = certificate.deviceID.map { "\($0)" } ?? (certificate.role == .validator ? "none (v1)" : "-")
            rows.append([certificate.keyID.description, certificate.role.description, device, label,
                         certificate.notBefore.description, certificate.notAfter.description, status])
        }
        let widths = (0..<7).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }
            lines.append("  " + cells.joined(separator: "  "))
        }
        lines.append("revocation list version \(revocations.version)")
        let unbound = certificates.filter { $0.role == .validator && $0.deviceID == nil && revocations.revocation(of: $0.keyID) == nil }
        if !unbound.isEmpty {
            lines.append("validator certificates naming no device (format 1): \(unbound.map(\.keyID.description).joined(separator: ", "))")
            lines.append("  re-certify each: hromada-keys device certify --key-id ID --device N")
        }
        lines.append("")
        let versions = manifest.cardKeyVersions.sorted()
        lines.append("card master keys (AES-128, diversified per card)")
        lines.append("  roles     \(CardMasterKeyRole.allCases.map(\.rawValue).joined(separator: ", "))")
        lines.append("  versions  \(versions.map { "v\($0)" }.joined(separator: ", ")) (current v\(versions.last ?? 0))")
        lines.append("")
        lines.append("bundles last signed")
        for kind in ["trust", "tariff", "denylist"] {
            let version = manifest.bundleVersions[kind] ?? 0
            lines.append("  \(kind.padding(8))  \(version == 0 ? "none" : "v\(version)")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
