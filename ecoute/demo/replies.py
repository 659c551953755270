"""What the brands' official accounts answer to complaints, per brand and language.

Zelia's team is casual (tutoiement, emoji); Norvo's is formal (vouvoiement). A reply never
names the other brand. HINTS are impersonal so either brand can use them, except
`outage` (only Zelia has the outage) and `norvo_metal` (only Norvo sells it).
"""

PARTS: dict[tuple[str, str], dict[str, list[str]]] = {
    ("Zelia", "fr"): {
        "greet": ["Hello !", "Bonjour !", "Salut !", "Hey,", "Bonjour,", "Coucou !", "Bonsoir !"],
        "sorry": [
            "Désolés pour la gêne 🙏",
            "On est vraiment désolés pour ce souci.",
            "Désolés pour cette mauvaise expérience.",
            "Oh non, on comprend ta frustration.",
            "Merci de nous l'avoir signalé, et désolés !",
            "Toutes nos excuses pour ce désagrément.",
            "On est navrés, ce n'est pas l'expérience qu'on veut t'offrir.",
            "Aïe, désolés pour ça !",
            "On comprend, c'est pénible, désolés.",
            "Mille excuses pour ce contretemps.",
        ],
        "ask": [
            "Tu peux nous écrire en MP avec ton adresse mail ?",
            "Écris-nous en MP, on regarde ça tout de suite.",
            "Peux-tu nous envoyer un message privé avec l'email de ton compte ?",
            "Passe-nous un petit MP, on s'en occupe.",
            "Contacte-nous via le chat de l'appli (onglet Aide), on va t'aider.",
            "Envoie-nous ton adresse mail en MP et on vérifie ton dossier.",
            "Tu peux nous donner plus de détails en message privé ?",
            "On t'a envoyé un MP, on règle ça ensemble.",
            "Peux-tu nous écrire en privé ? On va trouver une solution.",
            "Viens nous voir en MP, un conseiller prend le relais.",
        ],
        "sign": ["", "", "", "^Léa", "^Thomas", "^Inès", "^Karim", "^Julie", "^Max", "💚"],
    },
    ("Zelia", "en"): {
        "greet": ["Hi!", "Hey!", "Hello!", "Hi there,", "Hey,", "Hiya!", "Morning!"],
        "sorry": [
            "Sorry about that!",
            "So sorry for the hassle 🙏",
            "Really sorry to hear this.",
            "Sorry for the trouble, we know how annoying this is.",
            "Thanks for flagging, and sorry!",
            "That's not the experience we want for you, sorry.",
            "Oh no, sorry about this!",
            "Apologies for the inconvenience.",
            "We totally get it, sorry.",
        ],
        "ask": [
            "Can you DM us your email so we can look into it?",
            "Drop us a DM and we'll check it right away.",
            "Could you send us a private message with your account email?",
            "Send us a quick DM and we'll sort it out.",
            "Reach out via the in-app chat (Help tab) and we'll help.",
            "DM us your email and we'll check your file.",
            "Could you share a few more details by DM?",
            "We've sent you a DM, let's fix this together.",
            "Please DM us, we'll find a solution.",
        ],
        "sign": ["", "", "", "^Lea", "^Tom", "^Ines", "^Max", "💚", "Team Zelia"],
    },
    ("Norvo", "fr"): {
        "greet": ["Bonjour,", "Bonjour !", "Bonsoir,", "Bonjour à vous,", "Hello,"],
        "sorry": [
            "Nous sommes désolés pour la gêne occasionnée.",
            "Nous vous prions de nous excuser pour ce désagrément.",
            "Navrés de lire cela.",
            "Nous comprenons votre mécontentement.",
            "Merci pour votre message, nous sommes désolés pour ce problème.",
            "Toutes nos excuses pour ce contretemps.",
            "Nous regrettons cette expérience.",
        ],
        "ask": [
            "Pouvez-vous nous écrire en MP ?",
            "Pourriez-vous nous contacter en message privé avec votre adresse e-mail ?",
            "Merci de nous écrire via le chat de l'application.",
            "Nous vous invitons à nous envoyer un message privé.",
            "Pouvez-vous nous transmettre votre e-mail en MP afin que nous vérifiions ?",
            "Un conseiller va reprendre contact avec vous en MP.",
            "N'hésitez pas à nous écrire à l'adresse support indiquée dans l'appli.",
            "Merci de nous contacter en privé afin que nous regardions votre dossier.",
        ],
        "sign": ["", "", "Cordialement, l'équipe Norvo", "Bonne journée.", "^AM", "^PL", "^SB"],
    },
    ("Norvo", "en"): {
        "greet": ["Hello,", "Hi,", "Good afternoon,", "Dear customer,", "Hello there,"],
        "sorry": [
            "We're sorry for the inconvenience.",
            "Please accept our apologies for this.",
            "We're sorry to read this.",
            "We understand your frustration.",
            "Thank you for your message, we're sorry about this issue.",
            "Apologies for the delay in getting back to you.",
            "We regret this experience.",
        ],
        "ask": [
            "Could you send us a DM?",
            "Please contact us by private message with your email address.",
            "Please write to us through the in-app chat.",
            "We invite you to send us a private message.",
            "Could you DM us your email so that we can check?",
            "An adviser will get back to you by DM.",
            "Feel free to email the support address shown in the app.",
            "Please contact us privately so we can review your account.",
        ],
        "sign": ["", "", "Kind regards, Norvo Support", "Have a nice day.", "^AM", "^PL"],
    },
}

HINTS: dict[str, dict[str, list[str]]] = {
    "fr": {
        "card_payments": [
            "Il peut s'agir du plafond de paiement, visible dans l'onglet Carte.",
            "Vérifiez que le sans contact est bien activé dans l'appli.",
        ],
        "app_bugs": [
            "Une mise à jour de l'appli et un redémarrage règlent souvent le souci.",
            "Un correctif arrive dans la prochaine version.",
        ],
        "customer_service": ["Les demandes sont nombreuses en ce moment, merci de patienter."],
        "transfers": ["Certains virements passent par une vérification de sécurité."],
        "onboarding": ["Les vérifications d'identité peuvent prendre un peu de temps."],
        "fees": ["Le détail des tarifs est dans l'appli, rubrique Profil > Offre."],
        "cashback": ["Le cashback est versé sous 30 jours après l'achat."],
        "savings": ["L'équipe épargne est prévenue."],
        "outage": [
            "On rencontre un incident technique sur les paiements par carte, nos équipes sont mobilisées.",
            "Un incident perturbe actuellement les paiements carte, on fait au plus vite.",
            "Le problème est identifié et en cours de résolution, merci pour ta patience.",
        ],
        "norvo_metal": [
            "L'offre Norvo Metal est optionnelle, votre offre actuelle reste disponible.",
            "Vous pouvez résilier Norvo Metal à tout moment depuis l'appli.",
        ],
    },
    "en": {
        "card_payments": [
            "It may be your payment limit, which you can check in the Card tab.",
            "Please check that contactless is switched on in the app.",
        ],
        "app_bugs": [
            "Updating and restarting the app often fixes this.",
            "A fix is coming in the next version.",
        ],
        "customer_service": ["We're receiving a lot of requests at the moment."],
        "transfers": ["Some transfers go through an extra security check."],
        "onboarding": ["Identity checks can take a little longer at times."],
        "fees": ["Full pricing details are in the app under Profile > Plan."],
        "cashback": ["Cashback is paid within 30 days of the purchase."],
        "savings": ["Our savings team has been notified."],
        "outage": [
            "We're having a technical incident on card payments and the team is on it.",
            "An incident is affecting card payments right now, we're working on a fix.",
            "We've found the problem and are fixing it, thanks for your patience.",
        ],
        "norvo_metal": [
            "Norvo Metal is optional, your current plan stays available.",
            "You can cancel Norvo Metal at any time in the app.",
        ],
    },
}
