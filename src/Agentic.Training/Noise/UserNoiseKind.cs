namespace Agentic.Training.Noise;

/// <summary>The kinds of user noise injected by <see cref="NoisyUserChatClient"/>. Every kind keeps the task solvable (see each member).</summary>
public enum UserNoiseKind
{
    /// <summary>One to three words get a swapped, dropped or doubled letter; slot values are never touched.</summary>
    Typos = 0,

    /// <summary>Filler at the start, or the first sentence repeated.</summary>
    Redundancy = 1,

    /// <summary>A slot value is first stated wrongly and corrected in the same message ("A-1043 (sorry, I mean A-1042)").</summary>
    SelfCorrection = 2,

    /// <summary>An unrelated aside from <see cref="UserNoiseOptions.Asides"/> is added.</summary>
    TopicShift = 3,

    /// <summary>
    /// Action verbs are made vague ("cancel" → "deal with") and the request hedged; the original wording is given as soon
    /// as the agent asks any question.
    /// </summary>
    GoalAmbiguity = 4,

    /// <summary>
    /// A slot value already given earlier (or repeated in the message) becomes "that one"; a question from the agent gets
    /// "By that one I mean ...".
    /// </summary>
    ReferentialAmbiguity = 5,

    /// <summary>
    /// A slot value not yet given is withheld (removed from this and later messages) and revealed only when the agent's
    /// message mentions the slot's name.
    /// </summary>
    ContextOmission = 6,

    /// <summary>A slot value already given earlier is not repeated: "the order id I gave you earlier"; asking about the slot re-states it.</summary>
    InformationDropped = 7,
}
