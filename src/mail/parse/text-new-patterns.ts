// The line patterns of the reply stripper (text-new.ts). Every one is anchored
// or ends in a fixed suffix and has no nested quantifiers, so testing a line
// costs time linear in its length. Languages: en, de, fr, es, pt, it, nl, sv,
// da, no, fi, pl, ru, tr, el, hu, cs, zh, ja, ko.

/** "-----Original Message-----", "---------- Forwarded message ---------". */
export const SEPARATOR =
  /^\s*-{2,}\s*(?:original message|forwarded message|ursprüngliche nachricht|weitergeleitete nachricht|message d'origine|message transféré|mensaje original|mensaje reenviado|messaggio originale|messaggio inoltrato|oorspronkelijk bericht|doorgestuurd bericht|ursprungligt meddelande|vidarebefordrat meddelande|oprindelig meddelelse|videresendt meddelelse|opprinnelig melding|videresendt melding|alkuperäinen viesti|välitetty viesti|mensagem original|mensagem encaminhada|oryginalna wiadomość|wiadomość przekazana|исходное сообщение|пересланное сообщение|original nachricht)\s*-{2,}\s*$/iu;

/** Apple Mail's forward header and its translations. */
export const FORWARD_INTRO =
  /^\s*(?:begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié|inicio del mensaje reenviado|início da mensagem reencaminhada|inizio messaggio inoltrato|begin doorgestuurd bericht)\s*:\s*$/iu;

/** Outlook's "________________________________" rule above a quoted header block. */
export const RULE = /^\s*_{20,}\s*$/;

/** The first line of a quoted header block: "From: ...". */
export const FROM_KEY =
  /^\s*\*?(?:from|von|de|van|da|från|fra|od|lähettäjä|feladó|от|kimden|από|发件人|寄件者|差出人|보낸 사람)\s*\*?\s*[:：]/iu;

/** The other lines of a quoted header block: "Sent:", "To:", "Subject:" ... */
export const HEADER_KEY =
  /^\s*\*?(?:sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|à|objet|enviado|fecha|para|asunto|inviato|data|a|oggetto|verzonden|aan|onderwerp|skickat|till|ämne|sendt|til|emne|wysłano|do|temat|lähetetty|vastaanottaja|aihe|elküldve|címzett|tárgy|odesláno|komu|předmět|отправлено|кому|тема|gönderildi|kime|konu|στάλθηκε|προς|θέμα|发送时间|收件人|主题|送信日時|宛先|件名|날짜|받는 사람|제목)\s*\*?\s*[:：]/iu;

/** How an attribution ends: "wrote:" and its translations. */
export const ATTRIBUTION_END =
  /(?:wrote|writes|schrieb|a écrit|escribió|escreveu|ha scritto|scrisse|schreef|skrev|kirjoitti|napisał\(a\)|napisał|napisała|napsal\(a\)|napsal|írta|написал\(а\)|написал|написала|yazdı|έγραψε|a scris|pisze|写道|寫道|のメッセージ|書きました|작성)\s*[:：]\s*$/iu;

/**
 * Attributions that name the sender after the verb ("Am ... schrieb Acme
 * <x@y>:", "Op ... schreef ...:", "Den ... skrev ...:"): the verb as a word.
 */
export const ATTRIBUTION_VERB =
  /(?:^|\s)(?:wrote|schrieb|schreef|skrev|kirjoitti|napisał|a écrit|escribió|escreveu|ha scritto|írta|написал|yazdı)\s/iu;

/** How a wrapped attribution starts: "On", "Am", "Le" ... or a date. */
export const ATTRIBUTION_LEAD =
  /^\s*(?:(?:on|am|le|el|il|em|op|den|på|pe|ma|ti|ke|to|pá|dnia|w dniu|dne|в|στις|el día)\s|\d)/iu;

/** A mobile client's one-line signature ("Sent from my iPhone"). */
export const MOBILE_SIGNATURE =
  /^\s*(?:sent from my|sent from outlook|sent from mail for|get outlook for|von meinem|gesendet von|envoyé de mon|envoyé depuis|enviado desde mi|enviado do meu|inviato da|verzonden vanaf|verstuurd vanaf|skickat från|sendt fra|lähetetty)\s.{0,80}$/iu;
