// accessibilite.html: the accessibility statement. Static text from the catalogue (French, or
// English through the switch); nothing else to do.

import { applyTranslations, bindLanguageSwitch } from './i18n.js';

applyTranslations();
bindLanguageSwitch(document.querySelector('[data-testid="lang-switch"]'));
