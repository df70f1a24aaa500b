# Français. Vouvoiement ; un exploitant peut remplacer le catalogue par langue
# (LATCHKEY_TEMPLATES_DIR/fr/messages.ftl).

language-name = Français

## Durées et moments

in-duration = { $unit ->
    [day] { $count ->
        [one] dans { $count } jour
       *[other] dans { $count } jours
    }
    [hour] { $count ->
        [one] dans { $count } heure
       *[other] dans { $count } heures
    }
    [minute] { $count ->
        [one] dans { $count } minute
       *[other] dans { $count } minutes
    }
   *[second] { $count ->
        [one] dans { $count } seconde
       *[other] dans { $count } secondes
    }
}
time-ago = { $unit ->
    [day] { $count ->
        [one] hier
       *[other] il y a { $count } jours
    }
    [hour] { $count ->
        [one] il y a { $count } heure
       *[other] il y a { $count } heures
    }
    [minute] { $count ->
        [one] il y a { $count } minute
       *[other] il y a { $count } minutes
    }
   *[second] à l’instant
}

## E-mails : parties communes

email-greeting-name = Bonjour { $name },
email-greeting = Bonjour,
email-link-fallback = Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :
email-code-intro = Ou saisissez ce code sur la page { $product } :
email-link-once = Le lien ne sert qu’une fois et expire { $when }.
email-link-code-once = Le lien et le code ne servent qu’une fois et expirent { $when }.
email-why = Vous recevez cet e-mail parce que quelqu’un a utilisé { $email } sur { $product }.
email-automatic = Ce message est automatique ; les réponses ne sont pas lues.

## verification

verification-subject = Confirmez votre adresse e-mail
verification-intro = Bienvenue sur { $product } ! Confirmez que { $email } est bien votre adresse pour finir de créer votre compte.
verification-button = Confirmer mon adresse
verification-expired = Le lien a expiré ? Demandez-en un nouveau depuis la page de connexion.
verification-newest = Inscrit plusieurs fois ? Utilisez le dernier e-mail : tant que l’adresse n’est pas confirmée, une nouvelle inscription rend inutilisables les liens et codes précédents, et si des mots de passe différents ont été utilisés, vous en choisirez un nouveau en confirmant.
verification-not-you = Vous ne vous êtes pas inscrit ? Ignorez cet e-mail : sans cette confirmation, le compte reste inactif.

## already_registered

already_registered-subject = Vous avez déjà un compte
already_registered-intro = Quelqu’un vient d’essayer de s’inscrire sur { $product } avec { $email }, mais cette adresse a déjà un compte. Rien n’a changé pour celui-ci.
already_registered-button = Se connecter
already_registered-forgot = Mot de passe oublié ? Choisissez-en un nouveau ici :
already_registered-not-you = Si ce n’était pas vous, ignorez cet e-mail. Votre mot de passe reste secret et personne ne peut se connecter sans lui.

## password_reset

password_reset-subject = Réinitialisez votre mot de passe
password_reset-intro = Nous avons reçu une demande de réinitialisation du mot de passe du compte { $product } de { $email }.
password_reset-button = Choisir un nouveau mot de passe
password_reset-signout = Un nouveau mot de passe vous déconnecte partout.
password_reset-not-you = Vous n’avez rien demandé ? Ignorez cet e-mail : votre mot de passe reste le même.

## password_changed

password_changed-subject = Votre mot de passe a été modifié
password_changed-intro = Le mot de passe de votre compte { $product } ({ $email }) vient d’être modifié, et vos autres sessions ont été déconnectées.
password_changed-you = Si c’était vous, vous n’avez rien d’autre à faire.
password_changed-button = Réinitialiser mon mot de passe
password_changed-not-you = Si ce n’était pas vous, quelqu’un connaît peut-être votre mot de passe : réinitialisez-le maintenant.

## email_change_confirm_new

email_change_confirm_new-subject = Confirmez votre nouvelle adresse e-mail
email_change_confirm_new-intro = Vous avez demandé à utiliser { $new_email } pour votre compte { $product } (actuellement { $old_email }). Confirmez que cette adresse est bien la vôtre.
email_change_confirm_new-button = Confirmer la nouvelle adresse
email_change_confirm_new-pending = Rien ne change tant que toutes les confirmations ne sont pas arrivées.
email_change_confirm_new-not-you = Vous n’avez rien demandé ? Ignorez cet e-mail : l’adresse ne changera pas.

## email_change_confirm_old

email_change_confirm_old-subject = Approuvez le changement de votre adresse e-mail
email_change_confirm_old-intro = Une personne connectée à votre compte { $product } a demandé à remplacer son adresse e-mail { $old_email } par { $new_email }.
email_change_confirm_old-button = Approuver le changement
email_change_confirm_old-pending = L’adresse ne change qu’une fois que les deux adresses ont confirmé.
email_change_confirm_old-not-you = Si ce n’était pas vous, n’ouvrez pas le lien et changez tout de suite votre mot de passe : quelqu’un d’autre peut se connecter à votre compte.

## email_change_attempt

email_change_attempt-subject = Quelqu’un a essayé d’utiliser votre adresse e-mail
email_change_attempt-intro = Quelqu’un a essayé de remplacer l’adresse e-mail d’un autre compte { $product } par { $email }. Cette adresse appartient déjà à votre compte : rien n’a changé, et rien ne changera.
email_change_attempt-you = Si c’était vous, connectez-vous plutôt au compte qui utilise déjà cette adresse.
email_change_attempt-button = Se connecter
email_change_attempt-not-you = Si ce n’était pas vous, vous pouvez ignorer cet e-mail.

## email_changed

email_changed-subject = Votre adresse e-mail a été modifiée
email_changed-intro = L’adresse e-mail de votre compte { $product } est passée de { $old_email } à { $new_email }. Vos autres sessions ont été déconnectées.
email_changed-you = Si c’était vous, vous n’avez rien d’autre à faire.
email_changed-not-you = Si ce n’était pas vous, annulez le changement : votre compte retrouve { $old_email }, toutes les sessions sont déconnectées et nous vous envoyons un lien pour choisir un nouveau mot de passe.
email_changed-button = Annuler le changement

## email_reverted

email_reverted-subject = Le changement de votre adresse e-mail a été annulé
email_reverted-intro = Votre compte { $product } utilise de nouveau l’adresse { $email } : le passage à { $new_email } a été annulé et toutes les sessions ont été déconnectées.
email_reverted-next = Quelqu’un d’autre connaît peut-être votre mot de passe : choisissez-en un nouveau dès maintenant.
email_reverted-button = Choisir un nouveau mot de passe
email_reverted-not-you = Si vous n’avez pas annulé ce changement vous-même, contactez l’administrateur de { $product }.

## account_deleted

account_deleted-subject = Votre compte a été supprimé
account_deleted-intro = Le compte { $product } de { $email } a été supprimé, ainsi que ses sessions.
account_deleted-again = Vous pouvez vous réinscrire avec cette adresse quand vous voulez.
account_deleted-button = Créer un nouveau compte
account_deleted-not-you = Si vous ne l’avez pas supprimé vous-même, quelqu’un d’autre connaissait votre mot de passe ou un administrateur l’a retiré : contactez l’administrateur de { $product }.

## sign_in

sign_in-subject = Votre lien de connexion
sign_in-intro = Utilisez ce lien ou ce code pour vous connecter à votre compte { $product } ({ $email }) sans mot de passe.
sign_in-button = Se connecter
sign_in-not-you = Vous n’avez rien demandé ? Ignorez cet e-mail : personne ne peut se connecter sans lui.

## security_method_added, security_method_removed

security_method_added-subject = Une méthode de connexion a été ajoutée à votre compte
security_method_added-totp = Une application d’authentification a été configurée comme seconde étape de connexion à votre compte { $product } ({ $email }).
security_method_added-recovery_codes = De nouveaux codes de récupération ont été créés pour votre compte { $product } ({ $email }) ; les précédents ne fonctionnent plus.
security_method_added-passkey = Une clé d’accès a été ajoutée à votre compte { $product } ({ $email }).
security_method_removed-subject = Une méthode de connexion a été retirée de votre compte
security_method_removed-totp = L’application d’authentification a été retirée de votre compte { $product } ({ $email }) : la connexion ne demande plus son code.
security_method_removed-passkey = Une clé d’accès a été retirée de votre compte { $product } ({ $email }).
security_method_removed-all = Un administrateur a retiré toutes les secondes étapes et clés d’accès de votre compte { $product } ({ $email }).
security_method-you = Si c’était vous, il n’y a rien d’autre à faire.
security_method-not-you = Si ce n’était pas vous, quelqu’un a peut-être accès à votre compte : réinitialisez votre mot de passe et vérifiez votre compte maintenant.
security_method-button = Vérifier mon compte

## Pages : parties communes

page-skip = Aller au contenu
page-language = Langue
page-choose-language = Changer de langue
page-sign-in = Se connecter
page-sign-out = Se déconnecter
page-register = Créer un compte
page-forgot = Mot de passe oublié ?
mfa-off = Désactivée. Activez-la pour qu’un code d’une application d’authentification soit demandé après votre mot de passe.
mfa-on = Activée : une application d’authentification. Codes de récupération restants : { $left }.
mfa-on-button = Configurer une application d’authentification
mfa-codes-button = Créer de nouveaux codes de récupération
mfa-off-button = Désactiver la validation en deux étapes
mfa-turned-off = La validation en deux étapes est désactivée.
mfa-setup-title = Configurer votre application d’authentification
mfa-setup-scan = Scannez ce code avec votre application d’authentification, puis saisissez le code à 6 chiffres qu’elle affiche.
mfa-setup-manual = Impossible de scanner ? Saisissez cette clé dans l’application :
mfa-confirm-button = Activer
field-mfa-app-code = Code à 6 chiffres de l’application
mfa-codes-title = Vos codes de récupération
mfa-codes-intro = Gardez ces codes en lieu sûr. Chacun remplace une fois un code de l’application. Ils ne sont affichés que maintenant.
mfa-codes-download = Télécharger les codes
mfa-codes-done = Je les ai enregistrés
page-sign-in-email = Recevoir un code de connexion par e-mail
mfa-title = Validation en deux étapes
mfa-intro = Saisissez le code à 6 chiffres de votre application d’authentification, ou l’un de vos codes de récupération.
mfa-button = Continuer
mfa-passkey = Utiliser une clé d’accès
field-mfa-code = Code
field-mfa-code-hint = 6 chiffres de l’application, ou un code de récupération comme abcde-12345
error-mfa-code = Ce code ne fonctionne pas. Utilisez le dernier code de votre application (chacun ne sert qu’une fois) ou un code de récupération inutilisé.
error-mfa-token = Cette connexion a pris trop de temps ou a reçu trop de codes erronés. Veuillez vous reconnecter.
sign-in-email-title = Se connecter avec un code par e-mail
sign-in-email-intro = Nous vous enverrons un lien et un code à 6 chiffres pour vous connecter sans mot de passe.
sign-in-email-button = Recevoir un code de connexion
sign-in-code-title = Saisissez votre code de connexion
sign-in-code-intro = Si l’adresse a un compte, nous lui avons envoyé un lien et un code. Ouvrez le lien ou saisissez le code ici.
sign-in-code-button = Se connecter
sign-in-link-title = Se connecter à { $product }
sign-in-link-intro = Appuyez sur le bouton pour terminer la connexion.
sign-in-link-button = Se connecter
page-resend = Pas reçu l’e-mail de confirmation ? Envoyer un nouveau lien
page-account = Votre compte
page-required = obligatoire
page-show-error = Ce formulaire contient une erreur.
page-show-password = Afficher
page-hide-password = Masquer

## Champs de formulaire

field-email = Adresse e-mail
field-password = Mot de passe
field-new-password = Nouveau mot de passe
field-new-password-hint = Au moins 8 caractères. Une longue phrase se retient facilement et se devine difficilement.
field-current-password = Mot de passe actuel
field-name = Nom
field-name-optional = Nom (facultatif)
field-new-email = Nouvelle adresse e-mail
field-language = Langue
language-default = Par défaut ({ $language })

## Erreurs

error-email-invalid = Saisissez une adresse e-mail comme nom@exemple.com.
error-password-short = Utilisez au moins 8 caractères.
error-password-long = Utilisez au plus 1024 caractères.
error-password-common = Ce mot de passe est trop courant. Choisissez-en un plus difficile à deviner.
error-name-invalid = Un nom ne peut pas contenir de caractères de contrôle.
error-locale-invalid = Choisissez l’une des langues de la liste.
error-required = Veuillez remplir ce champ.
error-credentials = Cette adresse e-mail et ce mot de passe ne correspondent pas.
error-current-password = Ce n’est pas votre mot de passe actuel.
error-not-verified = Votre adresse e-mail n’est pas encore confirmée. Suivez le lien de l’e-mail que nous vous avons envoyé.
error-not-verified-link = Envoyer un nouveau lien de confirmation
error-disabled = Ce compte est désactivé. Contactez l’administrateur de { $product }.
error-same-email = C’est déjà votre adresse e-mail.
error-email-taken = Cette adresse e-mail appartient désormais à un autre compte : le changement est impossible.
error-last-admin = C’est le dernier compte administrateur : nommez d’abord un autre administrateur.
error-server = Un problème est survenu de notre côté. Réessayez dans un instant.
error-session-gone = Cette session était déjà terminée.

## Connexion, inscription, liens par e-mail

login-title = Se connecter à { $product }
login-button = Se connecter
login-new = Nouveau ici ?
register-title = Créer votre compte { $product }
register-intro = Nous vous enverrons un lien pour confirmer votre adresse.
register-button = Créer le compte
register-have-account = Vous avez déjà un compte ?
sent-title = Consultez votre boîte de réception
sent-register = Si { $email } peut recevoir des e-mails, un lien de confirmation est en route.
sent-resend = Si un compte lié à { $email } attend sa confirmation, un nouveau lien est en route.
sent-resend-wait = Un lien a été envoyé à { $email } il y a un instant, si un compte y attend sa confirmation. Patientez quelques minutes ; vous pourrez en demander un autre dans { $seconds ->
    [one] 1 seconde
   *[other] { $seconds } secondes
}.
sent-forgot = Si { $email } a un compte, un lien pour choisir un nouveau mot de passe est en route.
sent-spam = Rien après quelques minutes ? Regardez dans vos indésirables.
resend-title = Recevoir un nouveau lien de confirmation
resend-intro = Saisissez l’adresse utilisée à l’inscription. Si elle n’est pas encore confirmée, nous enverrons un nouveau lien.
resend-button = Envoyer le lien
forgot-title = Mot de passe oublié ?
forgot-intro = Saisissez votre adresse e-mail : nous vous enverrons un lien pour choisir un nouveau mot de passe.
forgot-button = Envoyer le lien
forgot-remembered = Il vous est revenu ?

## Pages ouvertes par un lien

verify-title = Confirmez votre adresse e-mail
verify-intro = Appuyez sur le bouton pour confirmer votre adresse et activer votre compte.
verify-button = Confirmer mon adresse
verify-done-title = Votre adresse est confirmée
verify-done = { $email } est confirmée. Vous pouvez vous connecter.
verify-contested = { $email } est confirmée. Elle a été inscrite plusieurs fois avec des mots de passe différents, donc aucun ne fonctionne : choisissez votre mot de passe maintenant. Nous vous avons aussi envoyé un lien pour le faire plus tard.
verify-failed-title = Adresse non confirmée
verify-used = Ce lien a déjà été utilisé, il n’y a plus rien à faire. Vous pouvez vous connecter.
verify-used-title = Votre adresse est déjà confirmée
reset-title = Choisissez un nouveau mot de passe
reset-intro = Un nouveau mot de passe vous déconnecte partout.
reset-button = Enregistrer le mot de passe
reset-done-title = Mot de passe modifié
reset-done = Votre nouveau mot de passe est enregistré et toutes les sessions ont été déconnectées. Connectez-vous avec lui.
reset-failed-title = Mot de passe inchangé
reset-used = Un nouveau mot de passe a déjà été défini avec ce lien. Connectez-vous avec, ou demandez un nouveau lien pour le changer encore.
reset-used-title = Ce lien a déjà été utilisé
confirm-title = Confirmez la nouvelle adresse e-mail
confirm-intro = Appuyez sur le bouton pour confirmer. L’adresse change dès que toutes les confirmations sont arrivées.
confirm-intro-old = Vous avez demandé à remplacer l’adresse de votre compte { $old } par { $new }. Appuyez sur le bouton pour l’approuver depuis cette adresse.
confirm-intro-new = Appuyez sur le bouton pour confirmer { $new } comme nouvelle adresse du compte { $old }.
confirm-button = Confirmer
confirm-done-title = Adresse e-mail modifiée
confirm-done = L’adresse de votre compte est désormais { $email }.
confirm-waiting-title = Confirmation reçue
confirm-waiting = Merci ! Le changement s’appliquera dès que l’autre adresse aura confirmé elle aussi.
confirm-failed-title = Adresse e-mail inchangée
confirm-used = Cette confirmation a déjà été reçue. La page de votre compte indique où en est le changement.
confirm-used-title = Déjà confirmé
revert-title = Annuler le changement d’adresse e-mail
revert-intro = Votre compte retrouve son ancienne adresse, toutes les sessions sont déconnectées et nous envoyons à cette adresse un lien pour choisir un nouveau mot de passe.
revert-button = Annuler le changement
revert-done-title = Changement annulé
revert-done = L’adresse de votre compte est de nouveau { $email }. Nous y avons envoyé un lien pour choisir un nouveau mot de passe.
revert-failed-title = Changement non annulé
revert-used = Ce changement a déjà été annulé. Connectez-vous avec l’adresse rétablie.
revert-used-title = Déjà annulé
link-missing = Ce lien est incomplet. Rouvrez-le depuis l’e-mail ou copiez le lien entier dans votre navigateur.
link-expired = Ce lien a expiré.
link-used = Ce lien a déjà été utilisé.
link-invalid = Ce lien ne fonctionne plus : un lien plus récent l’a peut-être remplacé.
next-new-verify-link = M’envoyer un nouveau lien
next-new-reset-link = M’envoyer un nouveau lien
next-sign-in = Se connecter
next-account = Aller à votre compte
next-try-again = Réessayer

field-code = Code à 6 chiffres reçu par e-mail
code-verify-title = Saisissez votre code de confirmation
code-verify-intro = Saisissez l’adresse utilisée à l’inscription et le code à 6 chiffres de l’e-mail que nous y avons envoyé.
code-verify-button = Confirmer mon adresse
code-reset-title = Réinitialiser votre mot de passe avec un code
code-reset-intro = Saisissez votre adresse, le code à 6 chiffres de l’e-mail et un nouveau mot de passe. Un nouveau mot de passe vous déconnecte partout.
code-or-link = Ouvrez son lien, ou saisissez ici le code à 6 chiffres qu’il contient.
code-or-link-reset = Ouvrez son lien, ou saisissez ici le code à 6 chiffres qu’il contient avec un nouveau mot de passe.
error-code-invalid = Ce code ne fonctionne pas. Vérifiez que l’adresse est bien celle qui a reçu l’e-mail et que le code vient du dernier e-mail. Un code ne sert qu’une fois et ne fonctionne plus après 5 essais erronés ou quand son lien expire.
next-have-verify-code = Vous avez un code de confirmation ?
next-have-reset-code = Vous avez un code de réinitialisation ?
link-use-code = Saisir plutôt le code de l’e-mail

## La page du compte

account-title = Votre compte
account-signed-in-as = Connecté en tant que { $email }
account-unverified = pas encore confirmée
account-member-since = Membre depuis { $when }
profile-title = Profil
profile-button = Enregistrer
profile-saved = Votre profil a été enregistré.
email-title = Adresse e-mail
email-current = Votre adresse est { $email }.
email-pending = En attente de confirmation : { $email }
email-pending-new = La nouvelle adresse a confirmé.
email-pending-new-waiting = La nouvelle adresse n’a pas encore confirmé.
email-pending-old = Votre adresse actuelle a confirmé.
email-pending-old-waiting = Votre adresse actuelle n’a pas encore confirmé.
email-pending-expires = La demande expire { $when }.
email-cancel = Annuler le changement
email-cancelled = Le changement d’adresse e-mail a été annulé.
email-button = Changer d’adresse e-mail
email-sent = Nous avons envoyé des liens de confirmation. Votre adresse changera une fois qu’ils auront été suivis.
password-title = Mot de passe
password-button = Changer de mot de passe
password-changed = Votre mot de passe a été modifié et vos autres sessions ont été déconnectées.
sessions-title = Où vous êtes connecté
sessions-this-device = Cet appareil
sessions-last-active = Actif { $when }
sessions-started = Connecté { $when }
sessions-ip = Adresse IP { $hint }
sessions-sign-out-one = Déconnecter { $device }
sessions-sign-out-others = Déconnecter tous les autres appareils
sessions-signed-out-one = Cet appareil a été déconnecté.
sessions-signed-out-others = Tous les autres appareils ont été déconnectés.
sessions-none-other = Vous n’êtes connecté nulle part ailleurs.
device-unknown = Appareil inconnu
device-browser-on-os = { $browser } sur { $os }
delete-title = Supprimer le compte
delete-intro = Votre compte sera supprimé et vous serez déconnecté partout. C’est définitif.
delete-button = Supprimer mon compte
delete-done-title = Votre compte a été supprimé
delete-done = Nous avons supprimé votre compte et envoyé une confirmation à { $email }.
next-new-account = Créer un nouveau compte

## Autres pages

rate-limited-title = Trop de tentatives
rate-limited = Par sécurité, nous avons mis ce formulaire en pause. Réessayez { $when }.
csrf-title = Ce formulaire venait d’un autre site
csrf = Nous ne l’avons pas accepté : il a été envoyé depuis une page extérieure à { $product }, comme le font certaines attaques. Si c’était bien voulu, revenez sur { $product } et réessayez depuis là.
csrf-back = Retour à { $product }
not-found-title = Page introuvable
not-found = Il n’y a rien à cette adresse.

# Passkeys (sign-in page and account page)
login-passkey = Se connecter avec une clé d’accès
passkey-failed = La clé d’accès n’a pas pu être utilisée. Réessayez, ou connectez-vous avec votre mot de passe.
passkeys-title = Clés d’accès
passkeys-intro = Une clé d’accès vous connecte avec le verrouillage d’écran de votre appareil ou une clé de sécurité, sans mot de passe.
passkeys-none = Vous n’avez pas encore de clé d’accès.
passkeys-added-when = Ajoutée { $when }
passkeys-used-when = Dernière utilisation { $when }
passkeys-never-used = Jamais utilisée
passkeys-rename = Renommer
passkeys-remove = Supprimer
passkeys-add = Ajouter une clé d’accès
field-passkey-name = Nom de la clé d’accès (facultatif)
passkey-added = La clé d’accès a été ajoutée.
passkey-renamed = La clé d’accès a été renommée.
passkey-removed = La clé d’accès a été supprimée.
passkey-needs-script = Pour ajouter une clé d’accès, ce navigateur doit autoriser JavaScript.

## A page path that does not exist, or the wrong method on one
missing-title = Il n’y a pas de page ici
missing = L’adresse est peut-être mal saisie, ou la page a été déplacée.
wrong-method-title = Cette page ne s’ouvre pas de cette façon
wrong-method = Utilisez les boutons des pages plutôt que de taper cette adresse ; pour vous déconnecter, utilisez « Se déconnecter » en haut de la page de votre compte.
