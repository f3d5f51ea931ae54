namespace Agentic.Training.Tasks.TextWorld;

/// <summary>What must be done to the object before it is placed.</summary>
public enum TextWorldTransform
{
    /// <summary>Nothing: just move the object ("put the apple in the fridge").</summary>
    None,

    /// <summary>Clean it at a sink ("put a clean mug in the coffee machine").</summary>
    Clean,

    /// <summary>Heat it in the microwave ("put a hot potato on the table").</summary>
    Heat,
}

/// <summary>A goal of the text world: the object, what must be done to it, and the receptacle it must end up in.</summary>
/// <param name="Object">The object, for example <c>mug</c>.</param>
/// <param name="Transform">What must be done to it first.</param>
/// <param name="Receptacle">Where it must end up, for example <c>coffee machine</c>.</param>
public sealed record TextWorldGoal(string Object, TextWorldTransform Transform, string Receptacle);

/// <summary>A task of the <c>textworld</c> suite.</summary>
/// <param name="Id">Stable id.</param>
/// <param name="Instruction">The goal in words, for example "Your task is to: put a hot potato on the table."</param>
/// <param name="Difficulty">Number of sub-steps of the shortest plan (moves, opens, take, transform, place).</param>
/// <param name="WorldSeed">Seed of the world's layout and initial state.</param>
/// <param name="Rooms">Rooms of the world.</param>
/// <param name="Objects">Portable objects of the world.</param>
/// <param name="Goal">The goal predicate checked on the final state.</param>
public sealed record TextWorldTask(string Id, string Instruction, int Difficulty, ulong WorldSeed, int Rooms, int Objects, TextWorldGoal Goal)
    : Agentic.Core.Agents.AgentTask(Id, TextWorldSuite.Name, Instruction, Difficulty);
