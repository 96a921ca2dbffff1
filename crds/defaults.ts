/**
 * Defaults a campaign starts from: the Celery system's header aliases, reply keyword lists (keycap
 * emoji accepted too), the decline reasons, the texts sent back and the follow-up policy (reminders at
 * 24 h and 72 h, slot released at 96 h). Patient-facing texts are Brazilian Portuguese.
 *
 * The schemas use these as their defaults, so the API server writes them into every object that
 * leaves them out, and the worker can use the same constants.
 */

/** Header aliases per column (compared after trimming, lower-casing and collapsing spaces). */
export const DEFAULT_COLUMN_ALIASES = {
  name: ["nome", "usuario", "usuário", "paciente"],
  phone: ["telefone", "celular", "fone", "tel", "whatsapp", "contato"],
  procedure: ["procedimento", "cirurgia", "procedimentos"],
  birthDate: ["nascimento", "data_nascimento", "data nascimento", "dt_nasc", "dtnasc", "dt nasc"],
} as const;

/** Keycap digits as WhatsApp shows them ("1️⃣"): the digit, VS16 and the combining keycap. */
const keycap = (digit: number) => `${digit}\uFE0F\u20E3`;

export const DEFAULT_CONFIRM_KEYWORDS = [
  "SIM",
  "S",
  "1",
  keycap(1),
  `${keycap(1)} SIM`,
  "1 SIM",
  "1SIM",
  "SIM 1",
  "SIM1",
  "CONFIRMO",
  "CONFIRMADO",
  "TENHO INTERESSE",
  "ACEITO",
  "OK",
] as const;

export const DEFAULT_DECLINE_KEYWORDS = [
  "NÃO",
  "NAO",
  "N",
  "2",
  keycap(2),
  `${keycap(2)} NÃO`,
  `${keycap(2)} NAO`,
  "2 NÃO",
  "2 NAO",
  "2NÃO",
  "2NAO",
  "NÃO 2",
  "NAO 2",
  "NÃO2",
  "NAO2",
  "NÃO QUERO",
  "NAO QUERO",
  "NÃO TENHO INTERESSE",
  "NAO TENHO INTERESSE",
] as const;

export const DEFAULT_NOT_ME_KEYWORDS = [
  "DESCONHEÇO",
  "DESCONHECO",
  "3",
  keycap(3),
  `${keycap(3)} DESCONHEÇO`,
  `${keycap(3)} DESCONHECO`,
  "3 DESCONHEÇO",
  "3 DESCONHECO",
  "3DESCONHEÇO",
  "3DESCONHECO",
  "DESCONHEÇO 3",
  "DESCONHECO 3",
  "NÃO SOU",
  "NAO SOU",
  "NÃO SOU EU",
  "NAO SOU EU",
  "ENGANO",
  "NÚMERO ERRADO",
  "NUMERO ERRADO",
] as const;

/** Words that stop every message from this namespace's campaigns to the sender's number. */
export const DEFAULT_OPT_OUT_KEYWORDS = [
  "SAIR",
  "PARAR",
  "CANCELAR",
  "STOP",
  "DESCADASTRAR",
  "NÃO QUERO RECEBER",
  "NAO QUERO RECEBER",
  "NÃO ENVIE MAIS",
  "NAO ENVIE MAIS",
] as const;

export const DEFAULT_DECLINE_REASON_OPTIONS = [
  {
    code: "done-elsewhere",
    label: "Já realizei o procedimento em outro hospital",
    keywords: ["1", keycap(1)],
  },
  { code: "health-problems", label: "Problemas de saúde", keywords: ["2", keycap(2)] },
  { code: "no-longer-wanted", label: "Não quero mais fazer a cirurgia", keywords: ["3", keycap(3)] },
  { code: "other", label: "Outro motivo", keywords: ["4", keycap(4)] },
] as const;

/** The code recorded when the patient writes a reason that matches no option. */
export const FREE_TEXT_REASON_CODE = "other";
/** The code recorded when no reason arrives before the timeout. */
export const NO_REASON_GIVEN_CODE = "not-given";
export const DEFAULT_DECLINE_REASON_TIMEOUT = "48h";

const OPTIONS_MENU = [
  `${keycap(1)} *SIM* – ainda tenho interesse`,
  `${keycap(2)} *NÃO* – não tenho mais interesse`,
  `${keycap(3)} *DESCONHEÇO* – não sou essa pessoa`,
].join("\n");

export const DEFAULT_DECLINE_REASON_QUESTION = [
  "Entendido. Para organizarmos a fila, poderia nos dizer o motivo?",
  "",
  ...DEFAULT_DECLINE_REASON_OPTIONS.map((o, i) => `${keycap(i + 1)} ${o.label}`),
  "",
  "Responda com o número da opção ou escreva o motivo.",
].join("\n");

/** Texts sent back to the patient; `{nome}`, `{procedimento}` and list columns may be used. */
export const DEFAULT_REPLY_TEXTS = {
  confirmed: [
    "✅ *Confirmação registrada!*",
    "",
    "Obrigado, {nome}. Registramos que você ainda tem interesse no procedimento *{procedimento}*.",
    "Nossa equipe entrará em contato em breve com os próximos passos.",
    "",
    "Mantenha as notificações do WhatsApp ativadas. Se tiver dúvidas, é só enviar uma mensagem.",
  ].join("\n"),
  declined: [
    "Registro atualizado. Entendemos que você não tem mais interesse no procedimento *{procedimento}*.",
    "",
    "Se mudar de ideia, entre em contato com a Central de Agendamentos. Obrigado!",
  ].join("\n"),
  notMe: "Obrigado pela informação! Vamos atualizar o nosso cadastro. Desculpe o transtorno.",
  phoneNotMe:
    "Obrigado pela informação! Este número foi desvinculado do cadastro do paciente. Desculpe o transtorno.",
  notUnderstood: [
    "Desculpe, não entendi sua resposta. Por favor, responda apenas com o número da opção:",
    "",
    OPTIONS_MENU,
  ].join("\n"),
  alreadyConfirmed:
    "Você já confirmou seu interesse no procedimento *{procedimento}*. Nossa equipe entrará em contato em breve.",
  alreadyDeclined:
    "Você já nos informou que não tem mais interesse no procedimento. Se mudar de ideia, entre em contato com a Central de Agendamentos.",
  alreadyClosed: "Seu atendimento nesta busca ativa já foi concluído. Obrigado pelo retorno!",
  answeredOnAnotherPhone: "Já recebemos a resposta do paciente por outro número. Obrigado!",
  optedOut:
    "Pronto, você não receberá mais mensagens desta central. Se precisar, entre em contato com a Central de Agendamentos.",
} as const;

/** The follow-up policy: times are counted from the first message to the contact. */
export const DEFAULT_FOLLOW_UP_STEPS = [
  {
    name: "reminder-1",
    afterFirstMessage: "24h",
    final: false,
    template: [
      "Olá, {nome}! Ainda não recebemos sua resposta sobre o procedimento *{procedimento}*.",
      "",
      "Você ainda tem interesse? Sem a sua confirmação nos próximos 2 dias, a vaga poderá ser liberada para outro paciente.",
      "",
      OPTIONS_MENU,
    ].join("\n"),
  },
  {
    name: "reminder-2",
    afterFirstMessage: "72h",
    final: false,
    template: [
      "⚠️ *ÚLTIMA TENTATIVA DE CONTATO*",
      "",
      "Olá, {nome}. Esta é a última tentativa antes de a sua vaga para o procedimento *{procedimento}* ser liberada automaticamente.",
      "",
      OPTIONS_MENU,
    ].join("\n"),
  },
  {
    name: "slot-released",
    afterFirstMessage: "96h",
    final: true,
    template: [
      "Olá, {nome}. Como não recebemos sua confirmação para o procedimento *{procedimento}*, a sua vaga foi liberada por falta de resposta.",
      "",
      "Se ainda tiver interesse, entre em contato com a Central de Agendamentos.",
    ].join("\n"),
  },
] as const;

export const DEFAULT_FOLLOW_UP_CRON = "0 9 * * *";
