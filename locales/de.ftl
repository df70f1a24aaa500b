# Deutsch. Duzen, wie die meisten Dienste heute; ein Betreiber kann den Katalog pro Sprache
# ersetzen (LATCHKEY_TEMPLATES_DIR/de/messages.ftl).

language-name = Deutsch

## Dauer und Zeitpunkte

in-duration = { $unit ->
    [day] { $count ->
        [one] in 1 Tag
       *[other] in { $count } Tagen
    }
    [hour] { $count ->
        [one] in 1 Stunde
       *[other] in { $count } Stunden
    }
    [minute] { $count ->
        [one] in 1 Minute
       *[other] in { $count } Minuten
    }
   *[second] { $count ->
        [one] in 1 Sekunde
       *[other] in { $count } Sekunden
    }
}
time-ago = { $unit ->
    [day] { $count ->
        [one] gestern
       *[other] vor { $count } Tagen
    }
    [hour] { $count ->
        [one] vor 1 Stunde
       *[other] vor { $count } Stunden
    }
    [minute] { $count ->
        [one] vor 1 Minute
       *[other] vor { $count } Minuten
    }
   *[second] gerade eben
}

## E-Mails: gemeinsame Teile

email-greeting-name = Hallo { $name },
email-greeting = Hallo,
email-link-fallback = Falls der Button nicht funktioniert, kopiere diesen Link in deinen Browser:
email-code-intro = Oder gib diesen Code auf der Seite von { $product } ein:
email-link-once = Der Link funktioniert einmal und läuft { $when } ab.
email-link-code-once = Link und Code funktionieren einmal und laufen { $when } ab.
email-why = Du bekommst diese E-Mail, weil jemand { $email } bei { $product } verwendet hat.
email-automatic = Diese Nachricht wurde automatisch verschickt; Antworten werden nicht gelesen.

## verification

verification-subject = Bestätige deine E-Mail-Adresse
verification-intro = Willkommen bei { $product }! Bestätige, dass { $email } deine Adresse ist, um dein Konto fertig einzurichten.
verification-button = Adresse bestätigen
verification-expired = Abgelaufen? Auf der Anmeldeseite kannst du einen neuen Link anfordern.
verification-newest = Mehrmals registriert? Nimm die neueste E-Mail: Solange die Adresse nicht bestätigt ist, funktionieren nach einer neuen Registrierung ältere Links und Codes nicht mehr, und wurden verschiedene Passwörter verwendet, wählst du beim Bestätigen ein neues.
verification-not-you = Du hast dich nicht registriert? Dann ignoriere diese E-Mail: Ohne Bestätigung bleibt das Konto inaktiv.

## already_registered

already_registered-subject = Du hast schon ein Konto
already_registered-intro = Gerade hat jemand versucht, sich mit { $email } bei { $product } zu registrieren. Für diese Adresse gibt es aber schon ein Konto. Daran hat sich nichts geändert.
already_registered-button = Anmelden
already_registered-forgot = Passwort vergessen? Hier kannst du ein neues wählen:
already_registered-not-you = Warst du das nicht, ignoriere diese E-Mail. Dein Passwort bleibt geheim, und ohne es kann sich niemand anmelden.

## password_reset

password_reset-subject = Setze dein Passwort zurück
password_reset-intro = Wir haben eine Anfrage erhalten, das Passwort des { $product }-Kontos für { $email } zurückzusetzen.
password_reset-button = Neues Passwort wählen
password_reset-signout = Mit einem neuen Passwort wirst du überall abgemeldet.
password_reset-not-you = Du hast das nicht angefordert? Dann ignoriere diese E-Mail: Dein Passwort bleibt, wie es ist.

## password_changed

password_changed-subject = Dein Passwort wurde geändert
password_changed-intro = Das Passwort deines { $product }-Kontos ({ $email }) wurde gerade geändert, und deine anderen Sitzungen wurden abgemeldet.
password_changed-you = Warst du das, musst du nichts weiter tun.
password_changed-button = Passwort zurücksetzen
password_changed-not-you = Warst du das nicht, kennt womöglich jemand dein Passwort: Setze es jetzt zurück.

## email_change_confirm_new

email_change_confirm_new-subject = Bestätige deine neue E-Mail-Adresse
email_change_confirm_new-intro = Du möchtest { $new_email } für dein { $product }-Konto verwenden (bisher { $old_email }). Bestätige, dass diese Adresse dir gehört.
email_change_confirm_new-button = Neue Adresse bestätigen
email_change_confirm_new-pending = Es ändert sich nichts, bevor alle Bestätigungen da sind.
email_change_confirm_new-not-you = Du hast das nicht angefordert? Dann ignoriere diese E-Mail: Die Adresse bleibt, wie sie ist.

## email_change_confirm_old

email_change_confirm_old-subject = Bestätige die Änderung deiner E-Mail-Adresse
email_change_confirm_old-intro = Jemand, der in deinem { $product }-Konto angemeldet ist, möchte die E-Mail-Adresse von { $old_email } in { $new_email } ändern.
email_change_confirm_old-button = Änderung bestätigen
email_change_confirm_old-pending = Die Adresse ändert sich erst, wenn beide Adressen bestätigt haben.
email_change_confirm_old-not-you = Warst du das nicht, öffne den Link nicht und ändere sofort dein Passwort: Jemand anderes kann sich in dein Konto einloggen.

## email_change_attempt

email_change_attempt-subject = Jemand wollte deine E-Mail-Adresse verwenden
email_change_attempt-intro = Jemand hat versucht, die E-Mail-Adresse eines anderen { $product }-Kontos in { $email } zu ändern. Diese Adresse gehört schon zu deinem Konto, deshalb hat sich nichts geändert, und das bleibt so.
email_change_attempt-you = Warst du das, melde dich stattdessen bei dem Konto an, das diese Adresse schon verwendet.
email_change_attempt-button = Anmelden
email_change_attempt-not-you = Warst du das nicht, kannst du diese E-Mail ignorieren.

## email_changed

email_changed-subject = Deine E-Mail-Adresse wurde geändert
email_changed-intro = Die E-Mail-Adresse deines { $product }-Kontos wurde von { $old_email } in { $new_email } geändert. Deine anderen Sitzungen wurden abgemeldet.
email_changed-you = Warst du das, musst du nichts weiter tun.
email_changed-not-you = Warst du das nicht, mach die Änderung rückgängig: Dein Konto bekommt { $old_email } zurück, alle Sitzungen werden abgemeldet, und wir schicken dir einen Link, um ein neues Passwort zu wählen.
email_changed-button = Änderung rückgängig machen

## email_reverted

email_reverted-subject = Die Änderung deiner E-Mail-Adresse wurde rückgängig gemacht
email_reverted-intro = Dein { $product }-Konto hat wieder die E-Mail-Adresse { $email }: Die Änderung in { $new_email } wurde rückgängig gemacht, und alle Sitzungen wurden abgemeldet.
email_reverted-next = Womöglich kennt jemand anderes dein Passwort. Wähle deshalb jetzt ein neues.
email_reverted-button = Neues Passwort wählen
email_reverted-not-you = Hast du die Änderung nicht selbst rückgängig gemacht, wende dich an die Verwaltung von { $product }.

## account_deleted

account_deleted-subject = Dein Konto wurde gelöscht
account_deleted-intro = Das { $product }-Konto für { $email } wurde mitsamt seinen Sitzungen gelöscht.
account_deleted-again = Du kannst dich jederzeit wieder mit dieser Adresse registrieren.
account_deleted-button = Neues Konto erstellen
account_deleted-not-you = Hast du es nicht selbst gelöscht, kannte jemand anderes dein Passwort oder die Verwaltung hat es entfernt: Wende dich an die Verwaltung von { $product }.

## sign_in

sign_in-subject = Dein Anmeldelink
sign_in-intro = Mit diesem Link oder Code meldest du dich ohne Passwort bei deinem { $product }-Konto ({ $email }) an.
sign_in-button = Anmelden
sign_in-not-you = Nicht angefordert? Ignoriere diese E-Mail: Ohne sie kann sich niemand anmelden.

## security_method_added, security_method_removed

security_method_added-subject = Deinem Konto wurde eine Anmeldemethode hinzugefügt
security_method_added-totp = Für dein { $product }-Konto ({ $email }) wurde eine Authenticator-App als zweiter Schritt der Anmeldung eingerichtet.
security_method_added-recovery_codes = Für dein { $product }-Konto ({ $email }) wurden neue Wiederherstellungscodes erstellt; die bisherigen gelten nicht mehr.
security_method_added-passkey = Deinem { $product }-Konto ({ $email }) wurde ein Passkey hinzugefügt.
security_method_removed-subject = Eine Anmeldemethode wurde aus deinem Konto entfernt
security_method_removed-totp = Die Authenticator-App wurde aus deinem { $product }-Konto ({ $email }) entfernt: Die Anmeldung fragt nicht mehr nach ihrem Code.
security_method_removed-passkey = Ein Passkey wurde aus deinem { $product }-Konto ({ $email }) entfernt.
security_method_removed-all = Die Verwaltung hat alle zweiten Schritte und Passkeys aus deinem { $product }-Konto ({ $email }) entfernt.
security_method-you = Warst du das, musst du nichts weiter tun.
security_method-not-you = Warst du das nicht, hat womöglich jemand Zugriff auf dein Konto: Setze dein Passwort zurück und prüfe dein Konto jetzt.
security_method-button = Mein Konto prüfen

## Seiten: gemeinsame Teile

page-skip = Zum Inhalt springen
page-language = Sprache
page-choose-language = Sprache wechseln
page-sign-in = Anmelden
page-sign-out = Abmelden
page-register = Konto erstellen
page-forgot = Passwort vergessen?
mfa-off = Aus. Schalte sie ein, damit nach deinem Passwort ein Code aus einer Authenticator-App abgefragt wird.
mfa-on = Ein: eine Authenticator-App. Verbleibende Wiederherstellungscodes: { $left }.
mfa-on-button = Authenticator-App einrichten
mfa-codes-button = Neue Wiederherstellungscodes erstellen
mfa-off-button = Bestätigung in zwei Schritten ausschalten
mfa-turned-off = Die Bestätigung in zwei Schritten ist aus.
mfa-setup-title = Authenticator-App einrichten
mfa-setup-scan = Scanne diesen Code mit deiner Authenticator-App und gib dann den 6-stelligen Code ein, den sie zeigt.
mfa-setup-manual = Scannen geht nicht? Gib diesen Schlüssel in der App ein:
mfa-confirm-button = Einschalten
field-mfa-app-code = 6-stelliger Code aus der App
mfa-codes-title = Deine Wiederherstellungscodes
mfa-codes-intro = Bewahre diese Codes sicher auf. Jeder gilt einmal anstelle eines Codes aus der App. Sie werden nur jetzt angezeigt.
mfa-codes-download = Codes herunterladen
mfa-codes-done = Ich habe sie gespeichert
page-sign-in-email = Anmeldecode per E-Mail senden
mfa-title = Bestätigung in zwei Schritten
mfa-intro = Gib den 6-stelligen Code aus deiner Authenticator-App oder einen deiner Wiederherstellungscodes ein.
mfa-button = Weiter
mfa-passkey = Stattdessen einen Passkey verwenden
field-mfa-code = Code
field-mfa-code-hint = 6 Ziffern aus der App oder ein Wiederherstellungscode wie abcde-12345
error-mfa-code = Dieser Code funktioniert nicht. Nimm den neuesten Code aus deiner App (jeder gilt einmal) oder einen unbenutzten Wiederherstellungscode.
error-mfa-token = Diese Anmeldung hat zu lange gedauert oder hatte zu viele falsche Codes. Bitte melde dich erneut an.
sign-in-email-title = Mit einem Code per E-Mail anmelden
sign-in-email-intro = Wir schicken dir einen Link und einen 6-stelligen Code, mit denen du dich ohne Passwort anmeldest.
sign-in-email-button = Anmeldecode per E-Mail senden
sign-in-code-title = Anmeldecode eingeben
sign-in-code-intro = Hat die Adresse ein Konto, haben wir ihr einen Link und einen Code geschickt. Öffne den Link oder gib den Code hier ein.
sign-in-code-button = Anmelden
sign-in-link-title = Bei { $product } anmelden
sign-in-link-intro = Drücke die Schaltfläche, um die Anmeldung abzuschließen.
sign-in-link-button = Anmelden
page-resend = Keine Bestätigungs-E-Mail bekommen? Neuen Link senden
page-account = Dein Konto
page-required = Pflichtfeld
page-show-error = In diesem Formular stimmt etwas nicht.
page-show-password = Anzeigen
page-hide-password = Verbergen

## Formularfelder

field-email = E-Mail-Adresse
field-password = Passwort
field-new-password = Neues Passwort
field-new-password-hint = Mindestens 8 Zeichen. Ein langer Satz ist leicht zu merken und schwer zu erraten.
field-current-password = Aktuelles Passwort
field-name = Name
field-name-optional = Name (optional)
field-new-email = Neue E-Mail-Adresse
field-language = Sprache
language-default = Standard ({ $language })

## Fehler

error-email-invalid = Gib eine E-Mail-Adresse wie name@example.com ein.
error-password-short = Verwende mindestens 8 Zeichen.
error-password-long = Verwende höchstens 1024 Zeichen.
error-password-common = Dieses Passwort ist zu verbreitet. Wähle eines, das schwerer zu erraten ist.
error-name-invalid = Ein Name darf keine Steuerzeichen enthalten.
error-locale-invalid = Wähle eine der Sprachen aus der Liste.
error-required = Bitte ausfüllen.
error-credentials = E-Mail-Adresse und Passwort passen nicht zusammen.
error-current-password = Das ist nicht dein aktuelles Passwort.
error-not-verified = Deine E-Mail-Adresse ist noch nicht bestätigt. Folge dem Link in der E-Mail, die wir dir geschickt haben.
error-not-verified-link = Neuen Bestätigungslink senden
error-disabled = Dieses Konto ist gesperrt. Wende dich an die Verwaltung von { $product }.
error-same-email = Das ist schon deine E-Mail-Adresse.
error-email-taken = Diese E-Mail-Adresse gehört inzwischen zu einem anderen Konto, deshalb ist die Änderung nicht möglich.
error-last-admin = Dies ist das letzte Administratorkonto: Ernennen Sie zuerst einen weiteren Administrator.
error-server = Bei uns ist etwas schiefgegangen. Bitte versuche es gleich noch einmal.
error-session-gone = Diese Sitzung war schon beendet.

## Anmelden, registrieren, Links per E-Mail

login-title = Bei { $product } anmelden
login-button = Anmelden
login-new = Neu hier?
register-title = Dein { $product }-Konto erstellen
register-intro = Wir schicken dir einen Link, um deine Adresse zu bestätigen.
register-button = Konto erstellen
register-have-account = Du hast schon ein Konto?
sent-title = Schau in dein Postfach
sent-register = Wenn { $email } E-Mails empfangen kann, ist ein Bestätigungslink unterwegs.
sent-resend = Wenn zu { $email } ein Konto auf Bestätigung wartet, ist ein neuer Link unterwegs.
sent-resend-wait = Ein Link an { $email } wurde gerade erst verschickt, falls dort ein Konto auf die Bestätigung wartet. Gib ihm ein paar Minuten; einen weiteren kannst du in { $seconds ->
    [one] 1 Sekunde
   *[other] { $seconds } Sekunden
} anfordern.
sent-forgot = Wenn es zu { $email } ein Konto gibt, ist ein Link für ein neues Passwort unterwegs.
sent-spam = Nach ein paar Minuten noch nichts da? Sieh im Spam-Ordner nach.
resend-title = Neuen Bestätigungslink senden
resend-intro = Gib die Adresse ein, mit der du dich registriert hast. Ist sie noch nicht bestätigt, schicken wir einen neuen Link.
resend-button = Link senden
forgot-title = Passwort vergessen?
forgot-intro = Gib deine E-Mail-Adresse ein, und wir schicken dir einen Link, um ein neues Passwort zu wählen.
forgot-button = Link senden
forgot-remembered = Doch wieder eingefallen?

## Seiten, die ein Link öffnet

verify-title = Bestätige deine E-Mail-Adresse
verify-intro = Drücke den Button, um deine Adresse zu bestätigen und dein Konto zu aktivieren.
verify-button = Adresse bestätigen
verify-done-title = Deine Adresse ist bestätigt
verify-done = { $email } ist bestätigt. Du kannst dich jetzt anmelden.
verify-contested = { $email } ist bestätigt. Die Adresse wurde mehrmals mit verschiedenen Passwörtern registriert, daher gilt keines davon: Wähle jetzt dein Passwort. Wir haben dir auch einen Link geschickt, um es später zu tun.
verify-failed-title = Adresse nicht bestätigt
verify-used = Dieser Link wurde schon verwendet, es ist nichts mehr zu tun. Du kannst dich anmelden.
verify-used-title = Deine Adresse ist bereits bestätigt
reset-title = Neues Passwort wählen
reset-intro = Mit einem neuen Passwort wirst du überall abgemeldet.
reset-button = Neues Passwort speichern
reset-done-title = Passwort geändert
reset-done = Dein neues Passwort ist gespeichert, und alle Sitzungen wurden abgemeldet. Melde dich jetzt damit an.
reset-failed-title = Passwort nicht geändert
reset-used = Mit diesem Link wurde schon ein neues Passwort gesetzt. Melde dich damit an oder fordere einen neuen Link an, wenn du es noch einmal ändern möchtest.
reset-used-title = Dieser Link wurde bereits verwendet
confirm-title = Neue E-Mail-Adresse bestätigen
confirm-intro = Drücke den Button, um zu bestätigen. Die Adresse ändert sich, sobald alle Bestätigungen da sind.
confirm-intro-old = Du möchtest die Adresse deines Kontos von { $old } zu { $new } ändern. Drücke den Knopf, um das von dieser Adresse aus zu bestätigen.
confirm-intro-new = Drücke den Knopf, um { $new } als neue Adresse des Kontos { $old } zu bestätigen.
confirm-button = Bestätigen
confirm-done-title = E-Mail-Adresse geändert
confirm-done = Die Adresse deines Kontos ist jetzt { $email }.
confirm-waiting-title = Bestätigung erhalten
confirm-waiting = Danke! Die Änderung gilt, sobald auch die andere Adresse bestätigt hat.
confirm-failed-title = E-Mail-Adresse nicht geändert
confirm-used = Diese Bestätigung ist bereits eingegangen. Auf deiner Kontoseite siehst du, wie weit die Änderung ist.
confirm-used-title = Bereits bestätigt
revert-title = Änderung der E-Mail-Adresse rückgängig machen
revert-intro = Dein Konto bekommt seine vorherige Adresse zurück, alle Sitzungen werden abgemeldet, und wir schicken an diese Adresse einen Link, um ein neues Passwort zu wählen.
revert-button = Änderung rückgängig machen
revert-done-title = Änderung rückgängig gemacht
revert-done = Die Adresse deines Kontos ist wieder { $email }. Dorthin haben wir einen Link für ein neues Passwort geschickt.
revert-failed-title = Änderung nicht rückgängig gemacht
revert-used = Diese Änderung wurde bereits rückgängig gemacht. Melde dich mit der wiederhergestellten Adresse an.
revert-used-title = Bereits rückgängig gemacht
link-missing = Dieser Link ist unvollständig. Öffne ihn noch einmal aus der E-Mail oder kopiere den ganzen Link in deinen Browser.
link-expired = Dieser Link ist abgelaufen.
link-used = Dieser Link wurde schon verwendet.
link-invalid = Dieser Link funktioniert nicht mehr: Vielleicht hat ihn ein neuerer ersetzt.
next-new-verify-link = Neuen Link senden
next-new-reset-link = Neuen Link senden
next-sign-in = Anmelden
next-account = Zu deinem Konto
next-try-again = Erneut versuchen

field-code = 6-stelliger Code aus der E-Mail
code-verify-title = Gib deinen Bestätigungscode ein
code-verify-intro = Gib die Adresse ein, mit der du dich registriert hast, und den 6-stelligen Code aus der E-Mail, die wir dorthin geschickt haben.
code-verify-button = Adresse bestätigen
code-reset-title = Passwort mit einem Code zurücksetzen
code-reset-intro = Gib deine Adresse, den 6-stelligen Code aus der E-Mail und ein neues Passwort ein. Mit einem neuen Passwort wirst du überall abgemeldet.
code-or-link = Öffne den Link darin oder gib hier den 6-stelligen Code daraus ein.
code-or-link-reset = Öffne den Link darin oder gib hier den 6-stelligen Code daraus und ein neues Passwort ein.
error-code-invalid = Dieser Code funktioniert nicht. Prüfe, ob die Adresse die ist, an die die E-Mail ging, und ob der Code aus der neuesten E-Mail stammt. Ein Code funktioniert einmal und verfällt nach 5 Fehlversuchen oder wenn sein Link abläuft.
next-have-verify-code = Du hast einen Bestätigungscode?
next-have-reset-code = Du hast einen Code zum Zurücksetzen?
link-use-code = Stattdessen den Code aus der E-Mail eingeben

## Die Kontoseite

account-title = Dein Konto
account-signed-in-as = Angemeldet als { $email }
account-unverified = noch nicht bestätigt
account-member-since = Dabei seit { $when }
profile-title = Profil
profile-button = Speichern
profile-saved = Dein Profil wurde gespeichert.
email-title = E-Mail-Adresse
email-current = Deine Adresse ist { $email }.
email-pending = Wartet auf Bestätigung: { $email }
email-pending-new = Die neue Adresse hat bestätigt.
email-pending-new-waiting = Die neue Adresse hat noch nicht bestätigt.
email-pending-old = Deine aktuelle Adresse hat bestätigt.
email-pending-old-waiting = Deine aktuelle Adresse hat noch nicht bestätigt.
email-pending-expires = Die Anfrage läuft { $when } ab.
email-cancel = Änderung abbrechen
email-cancelled = Die Änderung der E-Mail-Adresse wurde abgebrochen.
email-button = E-Mail-Adresse ändern
email-sent = Wir haben Bestätigungslinks verschickt. Deine Adresse ändert sich, sobald sie geöffnet und bestätigt wurden.
password-title = Passwort
password-button = Passwort ändern
password-changed = Dein Passwort wurde geändert, und deine anderen Sitzungen wurden abgemeldet.
sessions-title = Wo du angemeldet bist
sessions-this-device = Dieses Gerät
sessions-last-active = Aktiv { $when }
sessions-started = Angemeldet { $when }
sessions-ip = IP-Adresse { $hint }
sessions-sign-out-one = { $device } abmelden
sessions-sign-out-others = Alle anderen Geräte abmelden
sessions-signed-out-one = Das Gerät wurde abgemeldet.
sessions-signed-out-others = Alle anderen Geräte wurden abgemeldet.
sessions-none-other = Du bist nirgendwo sonst angemeldet.
device-unknown = Unbekanntes Gerät
device-browser-on-os = { $browser } unter { $os }
delete-title = Konto löschen
delete-intro = Damit löschst du dein Konto und wirst überall abgemeldet. Das lässt sich nicht rückgängig machen.
delete-button = Mein Konto löschen
delete-done-title = Dein Konto wurde gelöscht
delete-done = Wir haben dein Konto gelöscht und eine Bestätigung an { $email } geschickt.
next-new-account = Neues Konto erstellen

## Weitere Seiten

rate-limited-title = Zu viele Versuche
rate-limited = Zu deiner Sicherheit haben wir dieses Formular kurz angehalten. Versuche es bitte { $when } noch einmal.
csrf-title = Dieses Formular kam von einer anderen Website
csrf = Wir haben es nicht angenommen: Das Formular wurde von einer Seite außerhalb von { $product } gesendet, und so funktionieren manche Angriffe. Wolltest du das wirklich, geh zurück zu { $product } und versuche es dort noch einmal.
csrf-back = Zurück zu { $product }
not-found-title = Seite nicht gefunden
not-found = Unter dieser Adresse gibt es nichts.

# Passkeys (sign-in page and account page)
login-passkey = Mit einem Passkey anmelden
passkey-failed = Der Passkey konnte nicht verwendet werden. Versuchen Sie es erneut oder melden Sie sich mit Ihrem Passwort an.
passkeys-title = Passkeys
passkeys-intro = Ein Passkey meldet Sie mit der Bildschirmsperre Ihres Geräts oder einem Sicherheitsschlüssel an, ohne Passwort.
passkeys-none = Sie haben noch keine Passkeys.
passkeys-added-when = Hinzugefügt { $when }
passkeys-used-when = Zuletzt verwendet { $when }
passkeys-never-used = Noch nie verwendet
passkeys-rename = Umbenennen
passkeys-remove = Entfernen
passkeys-add = Passkey hinzufügen
field-passkey-name = Name des Passkeys (optional)
passkey-added = Der Passkey wurde hinzugefügt.
passkey-renamed = Der Passkey wurde umbenannt.
passkey-removed = Der Passkey wurde entfernt.
passkey-needs-script = Um einen Passkey hinzuzufügen, braucht dieser Browser JavaScript.

## A page path that does not exist, or the wrong method on one
missing-title = Hier gibt es keine Seite
missing = Vielleicht ist die Adresse vertippt, oder die Seite ist umgezogen.
wrong-method-title = Diese Seite lässt sich so nicht öffnen
wrong-method = Nutze die Schaltflächen auf den Seiten, statt diese Adresse einzutippen; zum Abmelden nimm „Abmelden“ oben auf deiner Kontoseite.
