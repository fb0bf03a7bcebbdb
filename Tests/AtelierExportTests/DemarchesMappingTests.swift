import AtelierDomain
import AtelierProtocol
import Foundation
import Testing
@testable import AtelierExport

/// The Démarches Simplifiées mapping: reading it, checking it, converting values per champ type,
/// and the skeleton `--describe` writes (docs/export.md).
@Suite("Démarches Simplifiées mapping")
struct DemarchesMappingTests {
    static let form = CallForm(name: "Appel", fields: [
        FormField(id: "title", type: .text, label: Localized("Nom du projet")),
        FormField(id: "pitch", type: .longText, label: Localized("Le projet en quelques lignes")),
        FormField(id: "theme", type: .choice, label: Localized("Thème"), options: [
            FieldOption(id: "education", label: Localized("Éducation")), FieldOption(id: "sante", label: Localized("Santé"))]),
        FormField(id: "audiences", type: .choices, label: Localized("Publics visés"), options: [
            FieldOption(id: "jeunes", label: Localized("Jeunes")), FieldOption(id: "familles", label: Localized("Familles"))]),
        FormField(id: "structure", type: .group, label: Localized("Structure qui dépose"), fields: [
            FormField(id: "siret", type: .siret, label: Localized("SIRET")),
            FormField(id: "email", type: .email, label: Localized("Courriel")),
            FormField(id: "phone", type: .phone, label: Localized("Téléphone"))], repeated: false),
        FormField(id: "team", type: .group, label: Localized("Équipe"), fields: [
            FormField(id: "person", type: .text, label: Localized("Personne")),
            FormField(id: "hours", type: .integer, label: Localized("Heures par semaine")),
            FormField(id: "volunteer", type: .yesNo, label: Localized("Bénévole"))]),
        FormField(id: "budget", type: .euros, label: Localized("Budget du projet")),
        FormField(id: "start", type: .date, label: Localized("Début")),
        FormField(id: "insured", type: .yesNo, label: Localized("Assurance souscrite")),
    ])

    static func workshop() -> Workshop {
        var w = Workshop(Blueprint(id: "w_1", title: "Atelier", plan: "p", groups: [], boards: [],
                                   phases: [Phase(id: "projects", title: "Projets", open: [])], settings: Settings(), form: form))
        w.projects["j_1"] = ProjectSheet(id: "j_1", board: "b_a", values: [
            "title": .text("La Maison du soir"), "pitch": .text("Un local ouvert le soir."), "theme": .text("education"),
            "audiences": .list([.text("jeunes"), .text("familles")]),
            "structure": .object(["siret": .text("73282932000074"), "email": .text("a@b.example"), "phone": .text("+33 3 85 00 00 00")]),
            "team": .list([.object(["person": .text("Ana"), "hours": .int(20), "volunteer": .bool(false)]),
                           .object(["person": .text("Bo"), "hours": .int(6), "volunteer": .bool(true)])]),
            "budget": .int(30000), "start": .text("2027-09-01"), "insured": .bool(false),
        ], createdBy: nil, createdSeq: 1, phase: "projects")
        return w
    }

    static let description = ProcedureDescription(number: 777, title: "Innovation sociale", path: "innovation", champs: [
        ChampDescriptor(id: "C1", label: "Nom du projet", type: "text", required: true),
        ChampDescriptor(id: "C2", label: "Le projet en quelques lignes", type: "textarea"),
        ChampDescriptor(id: "C3", label: "Thème", type: "drop_down_list", options: ["Education", "Santé", "Sport"]),
        ChampDescriptor(id: "C4", label: "Publics visés", type: "multiple_drop_down_list", options: ["Jeunes", "Familles", "Aînés"]),
        ChampDescriptor(id: "C5", label: "SIRET de la structure qui dépose", type: "siret"),
        ChampDescriptor(id: "C6", label: "Équipe", type: "repetition", children: [
            ChampDescriptor(id: "C61", label: "Personne", type: "text"),
            ChampDescriptor(id: "C62", label: "Heures par semaine", type: "integer_number"),
            ChampDescriptor(id: "C63", label: "Bénévole", type: "yes_no")]),
        ChampDescriptor(id: "C7", label: "Budget du projet", type: "decimal_number"),
        ChampDescriptor(id: "C8", label: "Début", type: "date"),
        ChampDescriptor(id: "C9", label: "Assurance souscrite", type: "checkbox"),
        ChampDescriptor(id: "C10", label: "Numéro RNA", type: "text"),
        ChampDescriptor(id: "C11", label: "Statuts", type: "piece_justificative", required: true),
        ChampDescriptor(id: "C12", label: "Section", type: "header_section"),
    ])

    static let typed = """
    demarche:
      numero: 777
    champs:
      title: {champ: C1, type: text}
      pitch: {champ: C2, type: textarea}
      theme:
        champ: C3
        type: drop_down_list
        options: [Education, Santé, Sport]
        valeurs: {education: Education}
      audiences: {champ: C4, type: multiple_drop_down_list, options: [Jeunes, Familles, Aînés]}
      structure.siret: {champ: C5, type: siret}
      team:
        champ: C6
        type: repetition
        enfants:
          person: {champ: C61, type: text}
          hours: {champ: C62, type: integer_number}
          volunteer: {champ: C63, type: yes_no}
      budget: {champ: C7, type: decimal_number}
      start: {champ: C8, type: date}
      insured: {champ: C9, type: checkbox}
    """

    func body(_ m: DemarchesMapping) throws -> JSONValue {
        let w = Self.workshop()
        return try JSONParser.parse(DemarchesValues.body(w.projects["j_1"]!, workshop: w, mapping: m))
    }

    @Test func eachTypeIsSentAsThePlatformReadsIt() throws {
        let m = try DemarchesMapping.parse(yaml: Self.typed, file: "m.yaml")
        #expect(m.procedure == 777 && m.champs.count == 9 && !m.isLegacy)
        #expect(DemarchesCheck.check(m, form: Self.form, description: Self.description).filter { !$0.warning }.isEmpty)
        let b = try body(m)
        #expect(b["champ_C1"] == .string("La Maison du soir"))
        #expect(b["champ_C3"] == .string("Education"), "translated to the procedure's option")
        #expect(b["champ_C4"] == .array([.string("Jeunes"), .string("Familles")]), "an array, the labels being the options")
        #expect(b["champ_C5"] == .string("73282932000074"))
        #expect(b["champ_C6"] == .array([
            .object([("champ_C61", .string("Ana")), ("champ_C62", .number(20)), ("champ_C63", .string("false"))]),
            .object([("champ_C61", .string("Bo")), ("champ_C62", .number(6)), ("champ_C63", .string("true"))])]))
        #expect(b["champ_C7"] == .number(30000))
        #expect(b["champ_C8"] == .string("2027-09-01"))
        #expect(b["champ_C9"] == .string("false"), "a no is the string false: a JSON false would be dropped")
    }

    @Test func aMappingWithoutTypesStillSendsAsBeforeAndIsWarned() throws {
        let m = try DemarchesMapping.parse(yaml: "champs:\n  title: C1\n  team: C6\n  insured: C9\n  audiences: C4\n", file: "old.yaml")
        #expect(m.isLegacy)
        let issues = DemarchesCheck.check(m, form: Self.form)
        #expect(issues.count == 1 && issues[0].warning && issues[0].line == 2 && issues[0].message.contains("--describe"))
        let b = try body(m)
        #expect(b["champ_C6"] == .string("Ana, 20, non | Bo, 6, oui"))
        #expect(b["champ_C9"] == .string("false"))
        #expect(b["champ_C4"] == .array([.string("Jeunes"), .string("Familles")]))
    }

    func errors(_ yaml: String, description: ProcedureDescription? = DemarchesMappingTests.description) throws -> [MappingIssue] {
        DemarchesCheck.check(try DemarchesDemarchesParse.parse(yaml), form: Self.form, description: description).filter { !$0.warning }
    }

    @Test func theCheckNamesEachFaultWithItsLine() throws {
        let yaml = """
        champs:
          title: {champ: C1, type: text}
          pitch: {champ: C7, type: decimal_number}
          team: {champ: C2, type: textarea}
          theme: {champ: C3, type: drop_down_list, valeurs: {education: Éducation nationale}}
          audiences: {champ: C99, type: multiple_drop_down_list}
          budget: {champ: C8, type: integer_number}
          start: {champ: C1, type: text}
          nope: {champ: C10, type: text}
        """
        let found = try errors(yaml)
        #expect(found.map(\.line) == [3, 4, 5, 6, 7, 7, 8, 9], "\(found.map { $0.text(file: "m") })")
        guard found.count == 8 else { return }
        #expect(found[0].message.contains("« pitch » : un champ « texte long » du formulaire ne peut pas remplir un champ « decimal_number »"))
        #expect(found[1].message.contains("« team » : un champ « groupe répété »"))
        #expect(found[2].message.contains("deviendrait « Éducation nationale », qui n'est pas une option de la démarche"))
        #expect(found[3].message.contains("le champ « C99 » n'existe pas dans la démarche n° 777"))
        #expect(found[4].message.contains("le type noté « integer_number » n'est pas celui du champ de la démarche (« date »)"))
        #expect(found[5].message.contains("« montant en euros » du formulaire ne peut pas remplir un champ « date »"))
        #expect(found[6].message.contains("déjà rempli par la ligne 2"))
        #expect(found[7].message.contains("« nope » n'est pas un champ du formulaire"))
        #expect(found[0].text(file: "m.yaml").hasPrefix("m.yaml:3 : erreur : "))
    }

    @Test func withoutTheDescriptionTheRecordedTypesAndOptionsAreChecked() throws {
        let yaml = """
        champs:
          theme: {champ: C3, type: drop_down_list, options: [Education, Santé]}
          audiences: {champ: C4, type: multiple_drop_down_list, options: [Jeunes], valeurs: {familles: Jeunes, vieux: Aînés}}
          team:
            champ: C6
            type: repetition
            enfants:
              person: {champ: C61, type: integer_number}
              colour: {champ: C64, type: text}
          budget: {champ: C7, type: address}
        """
        let found = try errors(yaml, description: nil)
        #expect(found.map(\.line) == [2, 3, 8, 9, 10], "\(found.map { $0.text(file: "m") })")
        guard found.count == 5 else { return }
        #expect(found[0].message.contains("l'option « Éducation » (education) du formulaire deviendrait « Éducation »"))
        #expect(found[1].message.contains("« vieux » n'est pas une option du formulaire"))
        #expect(found[2].message.contains("« team » → « person »"))
        #expect(found[3].message.contains("« colour » n'est pas une partie du groupe"))
        #expect(found[4].message.contains("ne peut pas être prérempli"))
    }

    @Test func theIdentityAndTwoOptionsTranslatedAlike() throws {
        var form = Self.form
        form.fields.append(FormField(id: "contact", type: .group, label: Localized("Contact"), fields: [
            FormField(id: "first", type: .text, label: Localized("Prénom")),
            FormField(id: "last", type: .text, label: Localized("Nom")),
            FormField(id: "civility", type: .choice, label: Localized("Civilité"), options: [
                FieldOption(id: "mme", label: Localized("Madame")), FieldOption(id: "m", label: Localized("Monsieur"))])], repeated: false))
        var w = Self.workshop()
        w.form = form
        w.projects["j_1"]!.values["contact"] = .object(["first": .text("Marie"), "last": .text("Dupont"), "civility": .text("mme")])
        let yaml = """
        champs:
          audiences: {champ: C4, type: multiple_drop_down_list, options: [Public], valeurs: {jeunes: Public, familles: Public}}
        identite:
          prenom: contact.first
          nom: contact.last
          genre: {champ: contact.civility, valeurs: {mme: Mme}}
        """
        let m = try DemarchesMapping.parse(yaml: yaml, file: "m.yaml")
        let issues = DemarchesCheck.check(m, form: form).filter { !$0.warning }
        #expect(issues.map(\.line) == [6] && issues[0].message.contains("« Monsieur » deviendrait « Monsieur »"), "\(issues)")
        let body = try JSONParser.parse(DemarchesValues.body(w.projects["j_1"]!, workshop: w, mapping: m))
        #expect(body == .object([("champ_C4", .array([.string("Public")])), ("identite_prenom", .string("Marie")),
                                 ("identite_nom", .string("Dupont")), ("identite_genre", .string("Mme"))]))
        #expect(throws: DemarchesMapping.ReadError.self) {
            try DemarchesMapping.parse(yaml: "champs:\n  title: C1\nidentite:\n  age: contact.first\n", file: "m.yaml")
        }
        let choiceAsName = try DemarchesMapping.parse(yaml: "champs:\n  title: C1\nidentite:\n  nom: contact.civility\n", file: "m.yaml")
        #expect(DemarchesCheck.check(choiceAsName, form: form).filter { !$0.warning }.map(\.line) == [4])
    }

    @Test func readingRefusesWhatIsNotAMappingWithItsLine() {
        for (yaml, line, text) in [("champs:\n  title: {champ: C1, typo: text}\n", 2, "clé inconnue « typo »"),
                                   ("champs:\n  title:\n    type: text\n", 2, "« champ »"),
                                   ("champs:\n  a b: C1\n", 2, "n'est pas un champ de projet"),
                                   ("demarche: {numero: -3}\nchamps:\n  title: C1\n", 1, "numero"),
                                   ("champs:\n  title: {champ: C1, obligatoire: peut-être}\n", 2, "true ou false"),
                                   ("champ:\n  title: C1\n", 1, "« champs »")] {
            #expect(throws: DemarchesMapping.ReadError.self) { try DemarchesMapping.parse(yaml: yaml, file: "m.yaml") }
            do { _ = try DemarchesMapping.parse(yaml: yaml, file: "m.yaml") } catch {
                #expect(error.line == line && error.message.contains(text), "\(yaml): \(error.description)")
            }
        }
    }

    @Test func theSkeletonGuessesWhereLabelsAgreeAndPassesTheCheck() throws {
        let yaml = DemarchesSkeleton.yaml(Self.description, form: Self.form)
        #expect(yaml.contains("  theme:\n") && yaml.contains("\"education\": \"Education\""))
        #expect(yaml.contains("  structure.siret:\n") && yaml.contains("  team:\n") && yaml.contains("      hours:\n"))
        #expect(yaml.contains("# ?:") && yaml.contains("Numéro RNA"), "no obvious field: a comment")
        #expect(yaml.contains("« Statuts » (C11, piece_justificative) : ce type ne peut pas être prérempli"))
        #expect(!yaml.contains("C12"), "a section holds no value")
        let m = try DemarchesMapping.parse(yaml: yaml, file: "s.yaml")
        #expect(m.procedure == 777 && m.path == "innovation")
        let issues = DemarchesCheck.check(m, form: Self.form, description: Self.description)
        #expect(issues.filter { !$0.warning }.isEmpty, "\(issues.map { $0.text(file: "s") })")
        #expect(issues.contains { $0.warning && $0.message.contains("« Statuts »") })
        #expect(try body(m) == body(try DemarchesMapping.parse(yaml: Self.typed, file: "m.yaml")), "the same values as the hand-written one")
    }

    @Test func whatThePlatformSaysCannotBreakTheSkeletonsYAML() throws {
        var d = Self.description
        d.title = "Appel\nchamps: {}"
        d.champs.append(ChampDescriptor(id: "C13", label: "Remarque\n  title: C1 # \"piège\"", type: "text"))
        d.champs.append(ChampDescriptor(id: "C14\nx", label: "Plan", type: "address\nchamps:"))
        let m = try DemarchesMapping.parse(yaml: DemarchesSkeleton.yaml(d, form: Self.form), file: "s.yaml")
        #expect(m.champs.map(\.champ) == ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"])
    }

    @Test func theDescriptionIsReadAsTheSchemaEndpointServesIt() throws {
        let json = """
        {"id":"UHJvY2VkdXJlLTc3Nw==","number":777,"title":"Innovation","state":"publiee",
         "revision":{"id":"x","champDescriptors":[
          {"__typename":"MultipleDropDownListChampDescriptor","id":"Q2hhbXAtMQ==","label":"Publics","description":null,"required":true,"options":["A","B"]},
          {"__typename":"RepetitionChampDescriptor","id":"Q2hhbXAtMg==","label":"Équipe","required":false,
           "champDescriptors":[{"__typename":"YesNoChampDescriptor","id":"Q2hhbXAtMw==","label":"Bénévole","required":false}]},
          {"__typename":"DropDownListChampDescriptor","id":"Q2hhbXAtNA==","label":"Thème","required":false,"options":["X"],"otherOption":true}],
          "annotationDescriptors":[]}}
        """
        let d = try #require(ProcedureDescription.parse(Array(json.utf8), path: "innovation"))
        #expect(d.number == 777 && d.champs.map(\.type) == ["multiple_drop_down_list", "repetition", "drop_down_list"])
        #expect(d.champs[0].required && d.champs[0].options == ["A", "B"] && d.champs[2].other)
        #expect(d.champs[1].children == [ChampDescriptor(id: "Q2hhbXAtMw==", label: "Bénévole", type: "yes_no")])
        #expect(ChampType.name(ofTypename: "IntegerNumberChampDescriptor") == "integer_number")
        #expect(ChampType.name(ofTypename: "PieceJustificativeChampDescriptor") == "piece_justificative")
    }
}

enum DemarchesDemarchesParse {
    static func parse(_ yaml: String) throws -> DemarchesMapping { try DemarchesMapping.parse(yaml: yaml, file: "m.yaml") }
}
