// Every string the interface shows lives here, in French (the default) and English.
// Other modules never hold user-visible literals: they call t(key, params).
// A value may be a plural pair {one, other}, chosen from params.n.

const fr = {
  'app.name': 'Atelier',
  'skip': 'Aller au contenu principal',
  'lang.switch': 'English',
  'lang.switchLabel': 'Switch the interface to English',

  'home.title': 'Atelier — rejoindre un atelier collaboratif',
  'home.heading': 'Rejoindre un atelier collaboratif',
  'home.intro': 'Atelier vous permet de participer en direct à un atelier animé : avec votre table, vous déposez des cartes sur un tableau partagé, du constat au problème, du problème à l’idée, puis de l’idée au projet.',
  'home.noAccount': 'Pas de compte à créer : il suffit du code donné par l’animateur ou l’animatrice.',
  'home.codeLabel': 'Code de l’atelier',
  'home.codeHint': '8 lettres ou chiffres, par exemple K7Q4‑ZP2M. Majuscules ou minuscules, peu importe.',
  'home.submit': 'Continuer',
  'home.errorEmpty': 'Saisissez le code de l’atelier.',
  'home.errorFormat': 'Le code compte 8 lettres ou chiffres, par exemple K7Q4-ZP2M.',
  'home.steps': 'Comment ça marche ?',
  'home.resume': 'Reprendre un atelier',
  'home.resumeLink': 'Revenir à l’atelier {code}',
  'home.step1': 'Saisissez le code de l’atelier.',
  'home.step2': 'Indiquez votre nom et votre structure.',
  'home.step3': 'Déposez vos cartes : elles apparaissent aussitôt chez les autres membres de votre table.',

  'join.title': 'Atelier — vos informations',
  'join.heading': 'Entrer dans l’atelier',
  'join.code': 'Code de l’atelier : {code}',
  'join.changeCode': 'Changer de code',
  'join.noCode': 'Aucun code d’atelier n’a été indiqué.',
  'join.backHome': 'Revenir à l’accueil pour saisir le code',
  'join.required': 'Les champs marqués d’un astérisque (*) sont obligatoires.',
  'join.name': 'Votre nom *',
  'join.nameHint': 'Prénom et nom, tels que les autres participants vous connaissent.',
  'join.organisation': 'Votre structure (facultatif)',
  'join.organisationHint': 'Par exemple : ACI Le Pont, Département, Pôle emploi…',
  'join.actor': 'Vous représentez *',
  'join.actorChoose': 'Choisissez dans la liste',
  'join.privacy': 'Votre nom et votre structure sont visibles par les participants et l’animation de cet atelier, et conservés avec ses résultats.',
  'join.submit': 'Entrer dans l’atelier',
  'join.joining': 'Connexion à l’atelier…',
  'join.errorName': 'Indiquez votre nom (80 caractères au plus).',
  'join.errorOrganisation': 'Le nom de la structure doit faire 120 caractères au plus.',
  'join.errorActor': 'Choisissez ce que vous représentez.',
  'join.errorSummary': { one: 'Le formulaire contient une erreur : corrigez le champ indiqué.', other: 'Le formulaire contient {n} erreurs : corrigez les champs indiqués.' },
  'join.expired': 'Votre session a expiré : entrez à nouveau vos informations pour rejoindre l’atelier.',
  'join.resuming': 'Reprise de votre session…',

  'actor.aci': 'ACI (atelier et chantier d’insertion)',
  'actor.ai': 'AI (association intermédiaire)',
  'actor.ei': 'EI (entreprise d’insertion)',
  'actor.etti': 'ETTI (entreprise de travail temporaire d’insertion)',
  'actor.business': 'Entreprise « classique »',
  'actor.public': 'Acteur public',
  'actor.network': 'Tête de réseau',
  'actor.other': 'Autre',

  'conn.connecting': 'Connexion…',
  'conn.online': 'Connecté',
  'conn.reconnecting': 'Reconnexion…',
  'conn.offline': 'Hors ligne : vos changements seront envoyés au retour de la connexion',
  'conn.pending': { one: '{n} changement en attente d’envoi', other: '{n} changements en attente d’envoi' },

  'board.title': 'Atelier — votre tableau',
  'board.table': 'Votre table',
  'board.phase': 'Phase : {title}',
  'board.phaseStep': 'étape {n} sur {total}',
  'board.votesLeft': { one: 'Votes restants : {n}', other: 'Votes restants : {n}' },
  'board.columns': 'Colonnes du tableau',
  'board.count': { one: '{n} carte', other: '{n} cartes' },
  'board.empty': 'Aucune carte pour l’instant.',
  'board.locked': 'Ce tableau est verrouillé par l’animation : il ne peut plus être modifié.',
  'board.closed': 'L’atelier est terminé : le tableau reste consultable mais ne peut plus être modifié.',
  'board.paused': 'L’atelier est en pause.',
  'board.noBoard': 'Aucun tableau n’est associé à votre table pour le moment.',
  'board.leave': 'Quitter l’atelier sur cet appareil',
  'board.leaveConfirm': 'Quitter l’atelier sur cet appareil ? Vous pourrez le rejoindre à nouveau avec le code.',
  'board.leavePending': 'Des changements n’ont pas encore été envoyés et seront perdus. Quitter quand même ?',
  'board.dismiss': 'Fermer le message',
  'board.dismissSymbol': '×',
  'card.arrowPrev': '←',
  'card.arrowNext': '→',

  'add.label': 'Nouvelle carte dans « {column} »',
  'add.placeholder': 'Écrivez une idée, un constat…',
  'add.submit': 'Ajouter la carte',
  'add.hint': 'Ctrl + Entrée pour ajouter.',
  'add.color': 'Couleur de la carte',
  'add.closedColumn': 'Pendant la phase « {phase} », cette colonne ne reçoit pas de nouvelles cartes.',
  'add.errorEmpty': 'Écrivez un texte avant d’ajouter la carte.',
  'add.errorLong': 'Le texte d’une carte fait 1000 caractères au plus.',
  'add.queued': 'Carte enregistrée sur cet appareil : elle sera envoyée au retour de la connexion.',
  'add.done': 'Carte ajoutée.',

  'color.yellow': 'Jaune',
  'color.blue': 'Bleu',
  'color.green': 'Vert',
  'color.pink': 'Rose',
  'color.orange': 'Orange',
  'color.purple': 'Violet',

  'card.label': 'Carte',
  'card.by': 'De {name}',
  'card.byYou': 'Votre carte',
  'card.anonymous': 'Anonyme',
  'card.unknown': 'Participant',
  'card.pending': 'En attente d’envoi',
  'card.edit': 'Modifier',
  'card.editLabel': 'Modifier le texte de la carte',
  'card.save': 'Enregistrer',
  'card.cancel': 'Annuler',
  'card.delete': 'Supprimer',
  'card.deleteConfirm': 'Supprimer cette carte ?',
  'card.deleteYes': 'Oui, supprimer',
  'card.movePrev': '← Précédente',
  'card.moveNext': 'Suivante →',
  'card.moveTo': 'Déplacer vers « {column} »',
  'card.moveToPrefix': 'Déplacer vers',
  'card.moved': 'Carte déplacée vers « {column} ».',
  'card.deleted': 'Carte supprimée.',
  'card.saved': 'Modification enregistrée.',
  'card.vote': 'Voter',
  'card.voteLabel': 'Voter pour cette carte',
  'card.retract': 'Retirer',
  'card.retractLabel': 'Retirer un de vos votes sur cette carte',
  'card.myVotes': { one: 'Votre vote : {n}', other: 'Vos votes : {n}' },
  'card.votes': { one: '{n} vote', other: '{n} votes' },
  'card.drag': 'Glissez la carte vers une autre colonne, ou utilisez les boutons de déplacement.',

  'announce.card': 'Nouvelle carte de {name} dans « {column} » : {text}',
  'announce.cards': { one: '{n} nouvelle carte sur votre tableau.', other: '{n} nouvelles cartes sur votre tableau.' },
  'announce.phase': 'Nouvelle phase : {title}.',
  'announce.online': 'Connexion rétablie.',

  'error.generic': 'Une erreur est survenue.',
  'error.bad_request': 'La demande était mal formée.',
  'error.unknown_type': 'Le serveur ne connaît pas cette action.',
  'error.unauthenticated': 'Vous n’êtes plus connecté à l’atelier.',
  'error.forbidden': 'Vous n’avez pas le droit de faire cela.',
  'error.not_found': 'Élément introuvable : il a peut-être été supprimé.',
  'error.invalid': 'Une valeur n’est pas acceptée.',
  'error.conflict': 'Cette carte a été modifiée entre-temps par quelqu’un d’autre.',
  'error.phase': 'Ce n’est pas possible pendant la phase en cours.',
  'error.locked': 'Ce tableau est verrouillé.',
  'error.budget': 'Vous n’avez plus de votes disponibles.',
  'error.closed': 'L’atelier est terminé.',
  'error.rate_limited': 'Trop de demandes : patientez un instant.',
  'error.internal': 'Erreur du serveur : réessayez dans un instant.',

  'fac.title': 'Atelier — console d’animation',
  'fac.heading': 'Console d’animation',
  'fac.missingKey': 'Ce lien d’animation est incomplet : il manque l’identifiant de l’atelier ou la clé d’animation. Utilisez le lien d’animation fourni à la création de l’atelier.',
  'fac.rejected': 'La clé d’animation n’est pas acceptée : vérifiez le lien d’animation.',
  'fac.share': 'Inviter les participants',
  'fac.code': 'Code pour rejoindre',
  'fac.codeUnknown': 'non transmis par le serveur',
  'fac.link': 'Lien pour rejoindre',
  'fac.copy': 'Copier le lien',
  'fac.copied': 'Lien copié.',
  'fac.phases': 'Phases',
  'fac.setPhase': 'Passer à la phase « {title} »',
  'fac.currentPhase': 'Phase en cours : « {title} »',
  'fac.export': 'Exporter (JSON)',
  'fac.exporting': 'Export en cours…',
  'fac.exportFailed': 'L’export a échoué : {message}',
  'fac.exportDone': 'Export téléchargé.',
  'fac.boards': 'Tableaux des tables',
  'fac.people': { one: '{n} personne', other: '{n} personnes' },
  'fac.participants': 'Participants',
  'fac.noParticipants': 'Personne n’a encore rejoint l’atelier.',
  'fac.colName': 'Nom',
  'fac.colOrganisation': 'Structure',
  'fac.colActor': 'Type d’acteur',
  'fac.colTable': 'Table',
  'fac.colOnline': 'En ligne',
  'fac.online': 'En ligne',
  'fac.offline': 'Hors ligne',
  'fac.noTable': '—',
  'fac.onlineCount': { one: '{n} en ligne sur {total}', other: '{n} en ligne sur {total}' },
};

const en = {
  'app.name': 'Atelier',
  'skip': 'Skip to main content',
  'lang.switch': 'Français',
  'lang.switchLabel': 'Passer l’interface en français',

  'home.title': 'Atelier — join a collaborative workshop',
  'home.heading': 'Join a collaborative workshop',
  'home.intro': 'Atelier lets you take part live in a facilitated workshop: with your table, you post cards on a shared board, from findings to problems, from problems to ideas, then from ideas to projects.',
  'home.noAccount': 'No account needed: just the code your facilitator gives you.',
  'home.codeLabel': 'Workshop code',
  'home.codeHint': '8 letters or digits, for example K7Q4‑ZP2M. Upper or lower case, it does not matter.',
  'home.submit': 'Continue',
  'home.errorEmpty': 'Enter the workshop code.',
  'home.errorFormat': 'The code has 8 letters or digits, for example K7Q4-ZP2M.',
  'home.steps': 'How does it work?',
  'home.resume': 'Resume a workshop',
  'home.resumeLink': 'Back to workshop {code}',
  'home.step1': 'Enter the workshop code.',
  'home.step2': 'Give your name and your organisation.',
  'home.step3': 'Post your cards: the other people at your table see them at once.',

  'join.title': 'Atelier — about you',
  'join.heading': 'Enter the workshop',
  'join.code': 'Workshop code: {code}',
  'join.changeCode': 'Use another code',
  'join.noCode': 'No workshop code was given.',
  'join.backHome': 'Back to the home page to enter the code',
  'join.required': 'Fields marked with an asterisk (*) are required.',
  'join.name': 'Your name *',
  'join.nameHint': 'First and last name, as the other participants know you.',
  'join.organisation': 'Your organisation (optional)',
  'join.organisationHint': 'For example: ACI Le Pont, Département, Pôle emploi…',
  'join.actor': 'You represent *',
  'join.actorChoose': 'Choose from the list',
  'join.privacy': 'Your name and organisation are visible to the participants and facilitators of this workshop, and kept with its results.',
  'join.submit': 'Enter the workshop',
  'join.joining': 'Joining the workshop…',
  'join.errorName': 'Enter your name (at most 80 characters).',
  'join.errorOrganisation': 'The organisation name must be at most 120 characters.',
  'join.errorActor': 'Choose what you represent.',
  'join.errorSummary': { one: 'The form has an error: please correct the field shown.', other: 'The form has {n} errors: please correct the fields shown.' },
  'join.expired': 'Your session has expired: enter your details again to join the workshop.',
  'join.resuming': 'Resuming your session…',

  'actor.aci': 'ACI (work integration workshop)',
  'actor.ai': 'AI (intermediary association)',
  'actor.ei': 'EI (work integration enterprise)',
  'actor.etti': 'ETTI (work integration temp agency)',
  'actor.business': 'Mainstream business',
  'actor.public': 'Public body',
  'actor.network': 'Sector network',
  'actor.other': 'Other',

  'conn.connecting': 'Connecting…',
  'conn.online': 'Connected',
  'conn.reconnecting': 'Reconnecting…',
  'conn.offline': 'Offline: your changes will be sent when the connection is back',
  'conn.pending': { one: '{n} change waiting to be sent', other: '{n} changes waiting to be sent' },

  'board.title': 'Atelier — your board',
  'board.table': 'Your table',
  'board.phase': 'Phase: {title}',
  'board.phaseStep': 'step {n} of {total}',
  'board.votesLeft': { one: 'Votes left: {n}', other: 'Votes left: {n}' },
  'board.columns': 'Board columns',
  'board.count': { one: '{n} card', other: '{n} cards' },
  'board.empty': 'No cards yet.',
  'board.locked': 'The facilitator has locked this board: it can no longer be changed.',
  'board.closed': 'The workshop is over: the board can still be read but no longer changed.',
  'board.paused': 'The workshop is paused.',
  'board.noBoard': 'No board is linked to your table yet.',
  'board.leave': 'Leave the workshop on this device',
  'board.leaveConfirm': 'Leave the workshop on this device? You can join again with the code.',
  'board.leavePending': 'Some changes have not been sent yet and will be lost. Leave anyway?',
  'board.dismiss': 'Close the message',
  'board.dismissSymbol': '×',
  'card.arrowPrev': '←',
  'card.arrowNext': '→',

  'add.label': 'New card in “{column}”',
  'add.placeholder': 'Write an idea, a finding…',
  'add.submit': 'Add the card',
  'add.hint': 'Ctrl + Enter to add.',
  'add.color': 'Card colour',
  'add.closedColumn': 'During the “{phase}” phase, this column takes no new cards.',
  'add.errorEmpty': 'Write some text before adding the card.',
  'add.errorLong': 'A card holds at most 1000 characters.',
  'add.queued': 'Card saved on this device: it will be sent when the connection is back.',
  'add.done': 'Card added.',

  'color.yellow': 'Yellow',
  'color.blue': 'Blue',
  'color.green': 'Green',
  'color.pink': 'Pink',
  'color.orange': 'Orange',
  'color.purple': 'Purple',

  'card.label': 'Card',
  'card.by': 'By {name}',
  'card.byYou': 'Your card',
  'card.anonymous': 'Anonymous',
  'card.unknown': 'Participant',
  'card.pending': 'Waiting to be sent',
  'card.edit': 'Edit',
  'card.editLabel': 'Edit the card text',
  'card.save': 'Save',
  'card.cancel': 'Cancel',
  'card.delete': 'Delete',
  'card.deleteConfirm': 'Delete this card?',
  'card.deleteYes': 'Yes, delete',
  'card.movePrev': '← Previous',
  'card.moveNext': 'Next →',
  'card.moveTo': 'Move to “{column}”',
  'card.moveToPrefix': 'Move to',
  'card.moved': 'Card moved to “{column}”.',
  'card.deleted': 'Card deleted.',
  'card.saved': 'Change saved.',
  'card.vote': 'Vote',
  'card.voteLabel': 'Vote for this card',
  'card.retract': 'Remove',
  'card.retractLabel': 'Remove one of your votes from this card',
  'card.myVotes': { one: 'Your vote: {n}', other: 'Your votes: {n}' },
  'card.votes': { one: '{n} vote', other: '{n} votes' },
  'card.drag': 'Drag the card to another column, or use the move buttons.',

  'announce.card': 'New card from {name} in “{column}”: {text}',
  'announce.cards': { one: '{n} new card on your board.', other: '{n} new cards on your board.' },
  'announce.phase': 'New phase: {title}.',
  'announce.online': 'Connection restored.',

  'error.generic': 'Something went wrong.',
  'error.bad_request': 'The request was malformed.',
  'error.unknown_type': 'The server does not know this action.',
  'error.unauthenticated': 'You are no longer connected to the workshop.',
  'error.forbidden': 'You are not allowed to do that.',
  'error.not_found': 'Not found: it may have been deleted.',
  'error.invalid': 'A value is not accepted.',
  'error.conflict': 'Someone else changed this card in the meantime.',
  'error.phase': 'Not possible during the current phase.',
  'error.locked': 'This board is locked.',
  'error.budget': 'You have no votes left.',
  'error.closed': 'The workshop is over.',
  'error.rate_limited': 'Too many requests: please wait a moment.',
  'error.internal': 'Server error: please try again in a moment.',

  'fac.title': 'Atelier — facilitator console',
  'fac.heading': 'Facilitator console',
  'fac.missingKey': 'This facilitator link is incomplete: the workshop id or the facilitator key is missing. Use the facilitator link given when the workshop was created.',
  'fac.rejected': 'The facilitator key was not accepted: check the facilitator link.',
  'fac.share': 'Invite participants',
  'fac.code': 'Join code',
  'fac.codeUnknown': 'not sent by the server',
  'fac.link': 'Join link',
  'fac.copy': 'Copy the link',
  'fac.copied': 'Link copied.',
  'fac.phases': 'Phases',
  'fac.setPhase': 'Switch to the “{title}” phase',
  'fac.currentPhase': 'Current phase: “{title}”',
  'fac.export': 'Export (JSON)',
  'fac.exporting': 'Exporting…',
  'fac.exportFailed': 'The export failed: {message}',
  'fac.exportDone': 'Export downloaded.',
  'fac.boards': 'Table boards',
  'fac.people': { one: '{n} person', other: '{n} people' },
  'fac.participants': 'Participants',
  'fac.noParticipants': 'Nobody has joined the workshop yet.',
  'fac.colName': 'Name',
  'fac.colOrganisation': 'Organisation',
  'fac.colActor': 'Actor type',
  'fac.colTable': 'Table',
  'fac.colOnline': 'Online',
  'fac.online': 'Online',
  'fac.offline': 'Offline',
  'fac.noTable': '—',
  'fac.onlineCount': { one: '{n} online out of {total}', other: '{n} online out of {total}' },
};

const catalogues = { fr, en };
const STORAGE_KEY = 'atelier.lang';

/** Fires `change` when the language switches; views listen to re-render. */
export const languageEvents = new EventTarget();

let current = readStoredLanguage();

function readStoredLanguage() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return stored in catalogues ? stored : 'fr';
  } catch {
    return 'fr';
  }
}

/** @returns {'fr'|'en'} the current interface language. */
export function language() {
  return current;
}

/**
 * Translates a key, filling `{name}` placeholders from params.
 * @param {string} key a catalogue key
 * @param {Object<string, string|number>} [params] values for placeholders; `n` picks the plural
 * @returns {string}
 */
export function t(key, params = {}) {
  let entry = catalogues[current][key] ?? fr[key];
  if (entry === undefined) return key;
  if (typeof entry === 'object') {
    const n = Number(params.n ?? 0);
    const one = current === 'fr' ? n <= 1 : n === 1;
    entry = one ? entry.one : entry.other;
  }
  return entry.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/**
 * Fills static markup: `data-i18n="key"` sets textContent, and
 * `data-i18n-attr="attr:key;attr2:key2"` sets attributes. Also sets `<html lang>`.
 * @param {ParentNode} [root]
 */
export function applyTranslations(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  const title = document.querySelector('title[data-i18n]');
  if (title) document.title = t(title.dataset.i18n);
}

/**
 * Switches the language, remembers it and re-translates the page.
 * @param {'fr'|'en'} lang
 */
export function setLanguage(lang) {
  if (!(lang in catalogues)) return;
  current = lang;
  try { localStorage.setItem(STORAGE_KEY, lang); } catch { /* private mode: not remembered */ }
  applyTranslations();
  languageEvents.dispatchEvent(new Event('change'));
}

/**
 * Wires a button as the FR/EN switch: its label names the other language, in that language.
 * @param {HTMLButtonElement} button
 */
export function bindLanguageSwitch(button) {
  const refresh = () => {
    const other = current === 'fr' ? 'en' : 'fr';
    button.textContent = t('lang.switch');
    button.lang = other;
    button.setAttribute('aria-label', t('lang.switchLabel'));
  };
  button.addEventListener('click', () => setLanguage(current === 'fr' ? 'en' : 'fr'));
  languageEvents.addEventListener('change', refresh);
  refresh();
}
