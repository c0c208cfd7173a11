import ArgumentParser
import QuotaCore

/// The one check of account ids given on the command line: every command that takes an id calls
/// it from `validate()`, so a bad id is a usage error (exit 2) naming the id and the allowed
/// shape, before any file or socket is touched.
enum AccountIDValidation {
    static func check(_ id: String?, _ what: String) throws {
        guard let id else { return }
        do {
            try InvalidAccountID.check(id)
        } catch {
            throw ValidationError("\(what): \(error)")
        }
    }
}
